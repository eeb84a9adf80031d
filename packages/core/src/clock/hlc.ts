import { TabsyncError, ErrorKind } from '../errors.js'

/**
 * A hybrid logical clock timestamp as a string that sorts in time order:
 * `<13-digit wall ms>-<5-digit counter>-<node id>`. Comparing two with `<` compares them in time,
 * ties broken by node, so every replica orders entries the same way.
 */
export type Hlc = string & { readonly __hlc: true }

/** The parts of an {@link Hlc}. */
export interface HlcParts {
  readonly ms: number
  readonly counter: number
  readonly node: string
}

/** Largest counter value before the clock moves its millisecond forward instead. */
export const MAX_COUNTER = 99_999
const MAX_MS = 9_999_999_999_999

/** Builds the string form of an HLC timestamp. */
export function formatHlc(parts: HlcParts): Hlc {
  if (!Number.isSafeInteger(parts.ms) || parts.ms < 0 || parts.ms > MAX_MS) {
    throw new TabsyncError(ErrorKind.clock, `timestamp out of range: ${parts.ms}`)
  }
  return `${String(parts.ms).padStart(13, '0')}-${String(parts.counter).padStart(5, '0')}-${parts.node}` as Hlc
}

/** Parses an {@link Hlc}; throws a `clock` TabsyncError on anything else. */
export function parseHlc(value: string): HlcParts {
  const m = /^(\d{13})-(\d{5})-(.+)$/.exec(value)
  if (!m)
    throw new TabsyncError(ErrorKind.clock, `not a hybrid clock timestamp: ${value.slice(0, 40)}`)
  return { ms: Number(m[1]), counter: Number(m[2]), node: m[3] as string }
}

/** True when `value` is a well-formed {@link Hlc}. */
export function isHlc(value: unknown): value is Hlc {
  return typeof value === 'string' && /^\d{13}-\d{5}-.+$/.test(value)
}

/** Wall-clock milliseconds of an HLC timestamp. */
export function hlcMs(value: Hlc | string): number {
  return Number(value.slice(0, 13))
}

/** The later of two timestamps (either may be undefined). */
export function maxHlc<T extends string | undefined>(a: T, b: T): T {
  if (a === undefined) return b
  if (b === undefined) return a
  return a > b ? a : b
}
