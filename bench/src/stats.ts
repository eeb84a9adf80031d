// Order statistics for noisy machines: medians and nearest-rank percentiles, never means.

/** Samples sorted ascending (a copy). */
export function sorted(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b)
}

/**
 * The p-th percentile (0..100) by linear interpolation between closest ranks, the definition
 * used by numpy's default and most benchmark tools. Throws on an empty sample.
 *
 * @example
 * percentile([1, 2, 3, 4], 50) // 2.5
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of an empty sample')
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`)
  const s = sorted(samples)
  const rank = (p / 100) * (s.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  const a = s[lo] as number
  const b = s[hi] as number
  return a + (b - a) * (rank - lo)
}

/** The median (50th percentile). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50)
}

/** Min, median and max of repeated runs of one figure. */
export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
  readonly runs: number
}

/** Summarizes repeated runs of one figure. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of no runs')
  const s = sorted(values)
  return { min: s[0] as number, median: median(s), max: s[s.length - 1] as number, runs: s.length }
}

/** Percentiles of one run's samples (e.g. latencies of every change in that run). */
export interface Distribution {
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly n: number
}

/** p50, p99 and max of one run's samples. */
export function distribution(samples: readonly number[]): Distribution {
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
    n: samples.length,
  }
}

/**
 * `value / reference`, or null when the reference is missing or zero (a ratio to nothing is
 * not a figure). Rounded to 3 significant digits for reading.
 */
export function ratio(value: number, reference: number | undefined): number | null {
  if (reference === undefined || !Number.isFinite(reference) || reference === 0) return null
  return roundSig(value / reference, 3)
}

/** Rounds to `digits` significant digits. */
export function roundSig(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return value
  const scale = 10 ** (digits - Math.ceil(Math.log10(Math.abs(value))))
  return Math.round(value * scale) / scale
}
