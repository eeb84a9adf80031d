/**
 * WebSocket close codes of the Tabsync wire contract (shared with @tabsync/relay).
 * 1000-range codes are the standard ones; 4xxx are application codes.
 */
export const CloseCode = {
  /** The device closed the connection on purpose (`device.close()`). */
  normal: 1000,
  /** A frame claimed a sender other than the token's device: the relay closed the socket. */
  forgedSender: 4003,
  /** The token expired while connected, or was revoked. The device stops retrying. */
  tokenRejected: 4001,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]
