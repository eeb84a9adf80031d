import { TokenBucket } from './rate-limit.js'

const MAX_DEVICES = 10_000

/**
 * One {@link TokenBucket} per device id (for HTTP routes, which have no socket to hang a bucket
 * on). Bounded: past 10,000 devices the oldest bucket is dropped, which can only give that device
 * a fresh (full) budget, never refuse anyone wrongly.
 */
export class DeviceRateLimiter {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  readonly #buckets = new Map<string, TokenBucket>()

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#rate = ratePerSecond
    this.#burst = burst
    this.#now = now
  }

  /** Takes one request from the device's budget; false when it is over it. */
  take(deviceId: string): boolean {
    let bucket = this.#buckets.get(deviceId)
    if (!bucket) {
      if (this.#buckets.size >= MAX_DEVICES) {
        const oldest = this.#buckets.keys().next().value
        if (oldest !== undefined) this.#buckets.delete(oldest)
      }
      bucket = new TokenBucket(this.#rate, this.#burst, this.#now)
      this.#buckets.set(deviceId, bucket)
    }
    return bucket.take()
  }
}
