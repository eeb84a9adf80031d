/**
 * A silence deadline for one connection. A network that goes silent (a dead ISP line, a flaky
 * access point: packets stop, nothing is reset) never closes a socket by itself; TCP may keep it
 * "open" for many minutes. So every link counts what it hears (frames, heartbeats, pongs) and
 * gives up on the connection once nothing arrived for `timeoutMs`.
 *
 * Hearing something is a field write, not a timer reset: a link that receives hundreds of
 * frames a second must not re-arm a timer for each. The one timer re-arms itself for the time
 * left when it fires early.
 *
 * @example
 * const deadline = new SilenceDeadline(7_500, () => socket.close())
 * socket.onmessage = () => deadline.heard()
 * deadline.start()
 */
export class SilenceDeadline {
  readonly timeoutMs: number
  readonly #onSilent: () => void
  readonly #now: () => number
  #lastHeard = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  /**
   * @param timeoutMs - Longest silence tolerated, ms (> 0).
   * @param onSilent - Called once when the deadline passes; the deadline is stopped by then.
   * @param now - Clock (ms); tests may pass a fake one.
   */
  constructor(timeoutMs: number, onSilent: () => void, now: () => number = Date.now) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`)
    this.timeoutMs = timeoutMs
    this.#onSilent = onSilent
    this.#now = now
  }

  /** True between `start()` and `stop()` (or the deadline passing). */
  get running(): boolean {
    return this.#timer !== undefined
  }

  /** Starts (or restarts) the deadline, counting from now. */
  start(): void {
    this.#lastHeard = this.#now()
    this.#arm(this.timeoutMs)
  }

  /** Something arrived from the peer: the silence starts again from now. */
  heard(): void {
    this.#lastHeard = this.#now()
  }

  /** Stops watching (the connection closed for another reason). */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#check(), ms)
    // Node: a deadline alone must not keep a process alive. Browsers return a number.
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #check(): void {
    const silentFor = this.#now() - this.#lastHeard
    if (silentFor < this.timeoutMs) {
      this.#arm(this.timeoutMs - silentFor)
      return
    }
    this.#timer = undefined
    this.#onSilent()
  }
}
