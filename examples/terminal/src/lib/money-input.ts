/**
 * Reads an amount staff typed ("12.5", "12,50", "12") into minor units, or undefined. This is
 * input parsing, not arithmetic on money: every total still comes from core.
 */
export function parseMoney(text: string, fractionDigits = 2): number | undefined {
  const m = /^\s*(\d{1,7})(?:[.,](\d{0,2}))?\s*$/.exec(text)
  if (!m) return undefined
  const whole = m[1] ?? '0'
  const frac = (m[2] ?? '').padEnd(fractionDigits, '0')
  return Number(whole + frac)
}

/** Minor units as an editable decimal string ("1250" -> "12.50"). */
export function toInput(minor: number, fractionDigits = 2): string {
  const s = String(Math.abs(minor)).padStart(fractionDigits + 1, '0')
  return `${minor < 0 ? '-' : ''}${s.slice(0, -fractionDigits)}.${s.slice(-fractionDigits)}`
}
