/**
 * WebSocket close codes the relay uses. 4xxx codes are application codes (RFC 6455 7.4.2); a
 * client reads `event.code` to tell a retryable drop from a refusal it must not retry blindly.
 */
export const CloseCode = {
  /** The relay is shutting down; reconnect later. */
  goingAway: 1001,
  /** No `join` arrived within the authentication window. */
  authTimeout: 4001,
  /** The frame sequence broke the protocol: anything before `join`, a second `join`, an
   *  unsupported protocol version, a message addressed to another peer. */
  protocolError: 4002,
  /** The frame's `senderId` is not the peer id bound to the token's device. */
  forgedSender: 4003,
  /** The device already holds the maximum number of connections. */
  tooManyConnections: 4004,
  /** The token expired while the socket was open. Fetch a new token before reconnecting. */
  tokenExpired: 4005,
  /** A change writes where the device's role may not (see access/role-rights.ts). The change was
   *  neither stored nor forwarded; resending it is refused again. */
  forbiddenChange: 4006,
  /** The device or this token was revoked (back office or `tabsync-relay revoke`). Fatal. */
  revoked: 4007,
  /** Not CBOR, or not the shape of an automerge-repo message. */
  malformedFrame: 4008,
  /** Larger than the relay's maximum frame size. */
  frameTooLarge: 4009,
  /** Content for a document whose id is bound to another store (store-bound ids). Nothing of it
   *  was stored; the device must not push that document here. */
  documentIdRefused: 4011,
  /** Another socket joined with the same peer id; this one is superseded. */
  replaced: 4010,
  /** More messages per second than the connection's budget. */
  rateLimited: 4029,
  /** Cluster: another node serves this store; the close reason is that node's sync URL. */
  moved: 4300,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Reason text sent with each close code (also the `reason` label in logs and metrics). */
export const closeReason: Readonly<Record<CloseCode, string>> = {
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
  [CloseCode.moved]: 'moved',
}
