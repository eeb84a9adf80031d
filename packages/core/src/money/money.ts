import { ErrorKind, TabsyncError } from '../errors.js'

/**
 * Money is integer minor units (cents) everywhere. These are the only rounding rules:
 * - a percentage of an amount rounds half away from zero, once;
 * - an amount shared out over parts (a check discount over lines, a check split evenly)
 *   uses the largest-remainder method, so the parts always add up to the whole exactly.
 */

/** Basis points: 1% = 100 bp. */
export const BASIS_POINTS = 10_000

/** `amount * bp / 10000`, rounded half away from zero. */
export function percentOf(amount: number, bp: number): number {
  const raw = amount * bp
  const sign = raw < 0 ? -1 : 1
  return sign * Math.floor((Math.abs(raw) + BASIS_POINTS / 2) / BASIS_POINTS)
}

/** Tax contained in a tax-inclusive amount at `bp`: amount - amount / (1 + bp/10000), rounded. */
export function includedTax(amount: number, bp: number): number {
  const net = Math.round((amount * BASIS_POINTS) / (BASIS_POINTS + bp))
  return amount - net
}

/**
 * Shares `total` out in proportion to `weights`, in integers that add up to exactly `total`.
 * Each part first gets the floor of its exact share; the units left over go one each to the
 * largest remainders, ties to the earliest part. Remainders are compared exactly, in integer
 * arithmetic (BigInt), never as floating-point fractions, so every replica gets the same cents
 * and a tie really goes to the earliest part. A negative total is shared as its opposite.
 * All weights zero (or none positive) shares evenly, larger parts first.
 *
 * @example
 * allocate(100, [1, 1, 1]) // [34, 33, 33]
 * allocate(220, [45, 7, 84, 20]) // [64, 10, 118, 28]
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total)) {
    throw new TabsyncError(
      ErrorKind.invalidInput,
      `allocate: total must be a whole number, got ${total}`,
    )
  }
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) {
      throw new TabsyncError(
        ErrorKind.invalidInput,
        `allocate: weights must be whole numbers of at least 0, got ${w}`,
      )
    }
  }
  if (weights.length === 0) return []
  if (total < 0) return allocate(-total, weights).map((x) => (x === 0 ? 0 : -x))
  const sum = weights.reduce((a, b) => a + BigInt(b), 0n)
  if (sum === 0n) return evenly(total, weights.length)
  const t = BigInt(total)
  const parts = weights.map((w) => (t * BigInt(w)) / sum)
  const rest = weights.map((w, i) => ({ i, r: (t * BigInt(w)) % sum }))
  let left = t - parts.reduce((a, b) => a + b, 0n)
  rest.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1))
  for (const { i } of rest) {
    if (left <= 0n) break
    parts[i] = (parts[i] as bigint) + 1n
    left -= 1n
  }
  return parts.map(Number)
}

/** `total` in `n` integer parts differing by at most one unit, larger parts first. */
export function evenly(total: number, n: number): number[] {
  const base = Math.floor(total / n)
  const extra = total - base * n
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0))
}

/** Formats minor units for display, e.g. `formatMoney(1250, 'EUR') // '€12.50'`. */
export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  const f = new Intl.NumberFormat(locale, { style: 'currency', currency })
  return f.format(minor / 10 ** (f.resolvedOptions().maximumFractionDigits ?? 2))
}
