import type WebSocket from 'ws'

/** Default connect deadline (TCP, upgrade, `join` -> `peer`) of an outgoing link, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000
/** Default silence (no frame, no pong) after which an outgoing link is dead, ms. */
export const DEFAULT_SILENCE_TIMEOUT_MS = 7_500
/** Default ping interval of an outgoing link, ms. */
export const DEFAULT_PING_MS = 2_500

/** Options of {@link LinkWatch}. */
export interface LinkWatchOptions {
  readonly connectTimeoutMs?: number
  readonly silenceTimeoutMs?: number
  readonly pingMs?: number
  /** Called once when the socket is judged dead (`connect` or `silence`); the watch is stopped. */
  readonly onDead: (why: 'connect' | 'silence') => void
  readonly now?: () => number
}

/**
 * Deadlines of one outgoing WebSocket (the hub's link to its upstream relay). A network that
 * goes silent never closes a socket: TCP keeps it "open" and a connect attempt "pending" for
 * minutes. So the attempt must reach `peer` within `connectTimeoutMs`, and once up the link
 * pings every `pingMs` and counts every frame and pong it hears; silence for `silenceTimeoutMs`
 * makes it dead. The owner then terminates the socket and reconnects.
 */
export class LinkWatch {
  readonly #options: LinkWatchOptions
  readonly #now: () => number
  #socket: WebSocket | undefined
  #lastHeard = 0
  #connectTimer: ReturnType<typeof setTimeout> | undefined
  #pingTimer: ReturnType<typeof setInterval> | undefined

  constructor(options: LinkWatchOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** A connection attempt started on `socket`: it must be up within the connect deadline. */
  connecting(socket: WebSocket): void {
    this.stop()
    this.#socket = socket
    this.#connectTimer = setTimeout(
      () => this.#dead('connect'),
      this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    )
    this.#connectTimer.unref()
    socket.on('pong', () => this.heard())
  }

  /** The handshake completed: from now on, silence is what kills the link. */
  connected(): void {
    clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.heard()
    const silenceMs = this.#options.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS
    this.#pingTimer = setInterval(
      () => {
        if (this.#now() - this.#lastHeard >= silenceMs) return this.#dead('silence')
        try {
          this.#socket?.ping()
        } catch {
          // not open any more: its close event does the rest
        }
      },
      Math.min(this.#options.pingMs ?? DEFAULT_PING_MS, silenceMs / 2),
    )
    this.#pingTimer.unref()
  }

  /** A frame or pong arrived. */
  heard(): void {
    this.#lastHeard = this.#now()
  }

  /** Stops every timer (the socket closed, or the owner stopped). */
  stop(): void {
    clearTimeout(this.#connectTimer)
    clearInterval(this.#pingTimer)
    this.#connectTimer = undefined
    this.#pingTimer = undefined
    this.#socket = undefined
  }

  #dead(why: 'connect' | 'silence'): void {
    if (!this.#socket) return
    this.stop()
    this.#options.onDead(why)
  }
}
