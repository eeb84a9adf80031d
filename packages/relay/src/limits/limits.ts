/** Per-connection and per-device bounds of the relay. */
export interface RelayLimits {
  /** Largest accepted WebSocket frame, bytes. Larger frames close the socket with 4009. */
  readonly maxFrameBytes: number
  /** Sustained inbound messages per second per connection. Over it: close with 4029. */
  readonly messagesPerSecond: number
  /** Inbound messages a connection may send at once before the rate applies. */
  readonly messageBurst: number
  /** Open sockets per device id (tabs and processes of one device). Over it: close with 4004. */
  readonly connectionsPerDevice: number
  /** Time from upgrade to `join`, ms. Over it: close with 4001. */
  readonly authTimeoutMs: number
  /** Sustained `POST /documents` requests per second per device. Over it: 429 `rate-limited`. */
  readonly documentsPerSecond: number
  /** `POST /documents` requests a device may make at once (a cold start makes a handful). */
  readonly documentsBurst: number
}

/** Defaults: big enough for a day's first sync of a store, small enough to bound a bad client. */
export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  messagesPerSecond: 200,
  messageBurst: 2000,
  connectionsPerDevice: 16,
  authTimeoutMs: 10_000,
  documentsPerSecond: 2,
  documentsBurst: 20,
}
