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
 * Leftover units go to the largest fractional remainders, ties to the earliest part.
 *
 * @example
 * allocate(100, [1, 1, 1]) // [34, 33, 33]
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  if (weights.length === 0) return []
  if (sum <= 0) return evenly(total, weights.length)
  const exact = weights.map((w) => (total * w) / sum)
  const parts = exact.map(Math.floor)
  let left = total - parts.reduce((a, b) => a + b, 0)
  const order = exact
    .map((x, i) => ({ i, r: x - Math.floor(x) }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
  for (const { i } of order) {
    if (left <= 0) break
    parts[i] = (parts[i] as number) + 1
    left -= 1
  }
  return parts
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
