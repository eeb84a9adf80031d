/**
 * WebSocket close codes of the Tabsync wire contract. The values mirror @tabsync/relay's
 * `CloseCode` (sync must not import the relay: packages only depend downwards); a contract test
 * keeps them equal once both packages are in the tree.
 */
export const CloseCode = {
  /** The device closed the connection on purpose (`device.close()`). */
  normal: 1000,
  /** The relay is shutting down; reconnect later. */
  goingAway: 1001,
  /** No `join` arrived within the relay's authentication window; retried. */
  authTimeout: 4001,
  /** The relay saw a protocol violation; retried with backoff. */
  protocolError: 4002,
  /** A frame's sender is not the token's device: the token belongs to another device. Fatal. */
  forgedSender: 4003,
  /** The device already holds the maximum number of connections; retried with backoff. */
  tooManyConnections: 4004,
  /** The token expired while connected. Fatal until a new token is given. */
  tokenExpired: 4005,
  /** The device wrote where its role may not (relay rights per role); the change was neither
   *  stored nor forwarded and would be refused again. Fatal: the endpoint reports `refused`. */
  forbiddenChange: 4006,
  /** The device or its token was revoked by the back office. Fatal: reported as token-rejected. */
  revoked: 4007,
  /** The device pushed a document whose id is bound to another store; nothing was stored.
   *  Fatal: the endpoint reports `refused`. */
  documentIdRefused: 4011,
  /** Another socket joined with this peer id; retried with backoff. */
  replaced: 4010,
  /** Over the relay's message budget; retried with backoff. */
  rateLimited: 4029,
  /** A relay cluster node that does not serve this store; the reason is the sync URL of the one
   *  that does. Followed at once. */
  moved: 4300,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Close codes after which retrying with the same token cannot succeed. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.forgedSender,
  CloseCode.tokenExpired,
  CloseCode.forbiddenChange,
  CloseCode.revoked,
  CloseCode.documentIdRefused,
])
