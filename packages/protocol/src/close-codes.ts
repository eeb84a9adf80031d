/**
 * WebSocket close codes of the Tabsync wire protocol. 4xxx codes are application codes (RFC 6455
 * 7.4.2); a device reads `event.code` to tell a retryable drop from a refusal it must not retry
 * blindly. The relay sends them, `@tabsync/sync` handles them: both import this one table, and
 * `packages/sync/test/wire-contract.test.ts` fails when either side uses a code missing here.
 */
export const CloseCode = {
  /** The device closed the connection on purpose (`device.close()`). */
  normal: 1000,
  /** The relay is shutting down; reconnect later. */
  goingAway: 1001,
  /** No `join` arrived within the authentication window; retried. */
  authTimeout: 4001,
  /** The frame sequence broke the protocol: anything before `join`, a second `join`, an
   *  unsupported protocol version, a message addressed to another peer. Retried with backoff. */
  protocolError: 4002,
  /** The frame's `senderId` is not the peer id bound to the token's device: the token belongs to
   *  another device. Fatal. */
  forgedSender: 4003,
  /** The device already holds the maximum number of connections; retried with backoff. */
  tooManyConnections: 4004,
  /** The token expired while the socket was open. Fatal until a new token is given. */
  tokenExpired: 4005,
  /** A change writes where the device's role may not (relay rights per role). The change was
   *  neither stored nor forwarded; resending it is refused again. Fatal. */
  forbiddenChange: 4006,
  /** The device or this token was revoked (back office or `tabsync-relay revoke`). Fatal. */
  revoked: 4007,
  /** Not CBOR, or not the shape of an automerge-repo message; retried with backoff. */
  malformedFrame: 4008,
  /** Larger than the relay's maximum frame size; retried with backoff. */
  frameTooLarge: 4009,
  /** Another socket joined with the same peer id; this one is superseded. Retried. */
  replaced: 4010,
  /** Content for a document whose id is bound to another store (store-bound ids). Nothing of it
   *  was stored; the device must not push that document here. Fatal. */
  documentIdRefused: 4011,
  /** More messages per second than the connection's budget; retried with backoff. */
  rateLimited: 4029,
  /** The relay cannot keep this store's writes now: its storage is failing and the writes it
   *  holds in memory to store later reached their bound. Nothing of the refused frame was stored
   *  or acknowledged; the device keeps its changes and retries with backoff. */
  storageFull: 4503,
  /** Cluster: another node serves this store; the close reason is that node's sync URL.
   *  Followed at once. */
  moved: 4300,
} as const
/** One of the {@link CloseCode} values. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]
/** The name of a close code (`'revoked'`). */
export type CloseCodeName = keyof typeof CloseCode

/** Reason text sent with each close code (also the `reason` label in logs and metrics). */
export const closeReason: Readonly<Record<CloseCode, string>> = {
  [CloseCode.normal]: 'normal',
  [CloseCode.goingAway]: 'going-away',
  [CloseCode.authTimeout]: 'auth-timeout',
  [CloseCode.protocolError]: 'protocol-error',
  [CloseCode.forgedSender]: 'forged-sender',
  [CloseCode.tooManyConnections]: 'too-many-connections',
  [CloseCode.tokenExpired]: 'token-expired',
  [CloseCode.forbiddenChange]: 'forbidden-change',
  [CloseCode.revoked]: 'revoked',
  [CloseCode.malformedFrame]: 'malformed-frame',
  [CloseCode.frameTooLarge]: 'frame-too-large',
  [CloseCode.replaced]: 'replaced',
  [CloseCode.documentIdRefused]: 'document-id-refused',
  [CloseCode.rateLimited]: 'rate-limited',
  [CloseCode.storageFull]: 'storage-full',
  [CloseCode.moved]: 'moved',
}

/** Close codes after which retrying with the same token cannot succeed. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.forgedSender,
  CloseCode.tokenExpired,
  CloseCode.forbiddenChange,
  CloseCode.revoked,
  CloseCode.documentIdRefused,
])

/** True when `code` is one of the protocol's close codes. */
export function isCloseCode(code: number): code is CloseCode {
  return Object.hasOwn(closeReason, code)
}

/**
 * True when retrying after `code` with the same token cannot succeed.
 *
 * @example
 * isFatalCloseCode(CloseCode.revoked) // true
 * isFatalCloseCode(CloseCode.rateLimited) // false
 */
export function isFatalCloseCode(code: number): boolean {
  return FATAL_CLOSE_CODES.has(code)
}
