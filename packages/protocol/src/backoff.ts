/** How reconnect (and document retry) delays grow. */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 500. */
  readonly initialMs?: number
  /** Upper bound of any delay, ms. Default 30 s. */
  readonly maxMs?: number
  /** Growth per attempt. Default 2. */
  readonly factor?: number
  /**
   * Fraction of the delay that is random, 0..1. Default 0.5: a delay is drawn from
   * [ceiling * 0.5, ceiling], so a store full of tills that lost the relay together does not
   * reconnect in lockstep when it comes back.
   */
  readonly jitter?: number
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
} as const satisfies Required<BackoffOptions>

/**
 * The delay before retry number `attempt` (0 for the first retry): exponential growth from
 * `initialMs`, capped at `maxMs`, with `jitter` of it random. `random` returns [0, 1).
 *
 * @example
 * backoffDelay(0, {}, () => 0.99) // ~500
 * backoffDelay(10, {}, () => 0.99) // ~30000 (capped)
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options }
  const ceiling = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt)))
  const j = Math.min(1, Math.max(0, jitter))
  return Math.round(ceiling * (1 - j + j * random()))
}

/** The first `count` delays of a backoff schedule (for tests and docs). */
export function backoffSchedule(
  count: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number[] {
  return Array.from({ length: count }, (_, i) => backoffDelay(i, options, random))
}
