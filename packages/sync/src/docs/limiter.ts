/**
 * Runs at most `max` tasks at once, the rest in arrival order. Finding thousands of documents at
 * once (a cold device's whole day) made automerge-repo's own 60 s find timeout fire and left
 * orders out (bench: 761 of 2,000 returned); the stock path needed at most 64 in flight.
 */
export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>
  /** Tasks running now. */
  readonly active: number
}

/** A {@link Limiter} of `max` concurrent tasks. */
export function createLimiter(max: number): Limiter {
  let active = 0
  const waiting: (() => void)[] = []
  const next = () => {
    active -= 1
    waiting.shift()?.()
  }
  return {
    get active() {
      return active
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve))
      active += 1
      try {
        return await task()
      } finally {
        next()
      }
    },
  }
}
