import type { OrderData, Line } from '../schema/order.js'
import { allocate, includedTax, percentOf } from '../money/money.js'
import { latestEntry, sortedEntries } from './entries.js'
import { lineStates, type LineState } from './line-states.js'

/*
 * Totals are one deterministic function of the merged order: every replica gets the same cents.
 * The rounding rule, documented once:
 *   1. line gross = (unit price + modifier prices) x quantity; voided lines count 0.
 *   2. line discounts and comps apply in (at, id) order, each rounded half away from zero,
 *      never taking a line below 0.
 *   3. check-level discounts are shared over the lines by their net amounts (largest remainder).
 *   4. tax is computed once per tax rate over the sum of the lines' bases at that rate, rounded
 *      half away from zero; tax-inclusive rates report the tax contained in the price.
 *   5. split checks receive shares of the order's amounts by largest remainder, so the checks
 *      always add up to the order exactly.
 */

/** Money amounts of an order or a check, in minor units. */
export interface Amounts {
  /** Sum of line gross amounts. */
  readonly subtotal: number
  readonly discounts: number
  readonly comps: number
  /** Tax added on top of prices. */
  readonly exclusiveTax: number
  /** Tax already contained in prices (informational; not added). */
  readonly inclusiveTax: number
  /** subtotal - discounts - comps + exclusiveTax. */
  readonly total: number
}

/** Money of one line after its adjustments and its share of check adjustments. */
export interface LineAmounts {
  readonly gross: number
  readonly discount: number
  readonly comp: number
  /** What the line contributes to sales after every discount (before exclusive tax). */
  readonly net: number
}

export interface TaxLine {
  readonly taxRateId: string
  readonly basisPoints: number
  readonly inclusive: boolean
  readonly base: number
  readonly tax: number
}

/** One split check. */
export interface CheckTotals extends Amounts {
  /** 1-based check number. */
  readonly check: number
  readonly lineIds: readonly string[]
  readonly paid: number
  readonly balance: number
}

export interface OrderTotals extends Amounts {
  /** Payments applied minus refunds. */
  readonly paid: number
  readonly tips: number
  readonly refunded: number
  readonly change: number
  /** total - paid: positive means money is due, negative means overpaid. */
  readonly balance: number
  readonly taxes: readonly TaxLine[]
  readonly lines: Readonly<Record<string, LineAmounts>>
  readonly checks: readonly CheckTotals[]
}

/** The line's gross amount: (unit price + modifiers) x quantity. */
export function lineGross(line: Line, quantity: number): number {
  const unit = line.unitPrice + line.modifiers.reduce((sum, m) => sum + m.price, 0)
  return unit * quantity
}

/**
 * Everything money about an order, identical on every replica.
 *
 * @example
 * const t = orderTotals(decode(doc))
 * t.total   // 2350
 * t.balance // 0 when paid in full
 */
export function orderTotals(
  order: OrderData,
  states: LineState[] = lineStates(order),
): OrderTotals {
  const active = states.filter((s) => !s.voided && s.quantity > 0)
  const gross = new Map(active.map((s) => [s.line.id, lineGross(s.line, s.quantity)]))
  const discount = new Map<string, number>()
  const comp = new Map<string, number>()
  const net = new Map(gross)

  const adjustments = sortedEntries(order.adjustments)
  for (const a of adjustments) {
    if (a.lineId === null) continue
    const left = net.get(a.lineId)
    if (left === undefined) continue // voided or unknown line: the adjustment lapses
    const g = gross.get(a.lineId) ?? 0
    const take = Math.min(left, adjustmentAmount(a, g))
    net.set(a.lineId, left - take)
    const bucket = a.kind === 'comp' ? comp : discount
    bucket.set(a.lineId, (bucket.get(a.lineId) ?? 0) + take)
  }

  // Check-level adjustments, shared over lines by their nets.
  const ids = active.map((s) => s.line.id)
  for (const a of adjustments) {
    if (a.lineId !== null) continue
    const pool = ids.reduce((sum, id) => sum + (net.get(id) ?? 0), 0)
    const take = Math.min(pool, adjustmentAmount(a, pool))
    const shares = allocate(
      take,
      ids.map((id) => net.get(id) ?? 0),
    )
    const bucket = a.kind === 'comp' ? comp : discount
    ids.forEach((id, i) => {
      const share = shares[i] ?? 0
      net.set(id, (net.get(id) ?? 0) - share)
      bucket.set(id, (bucket.get(id) ?? 0) + share)
    })
  }

  const taxes = taxLines(active, net)
  const lines: Record<string, LineAmounts> = {}
  for (const id of ids) {
    lines[id] = {
      gross: gross.get(id) ?? 0,
      discount: discount.get(id) ?? 0,
      comp: comp.get(id) ?? 0,
      net: net.get(id) ?? 0,
    }
  }
  const amounts = sumAmounts(Object.values(lines), taxes)

  const refunds = refundedByPayment(order)
  const payments = Object.values(order.payments)
  const refunded = payments.reduce((sum, p) => sum + (refunds.get(p.id) ?? 0), 0)
  const paid = payments.reduce((sum, p) => sum + p.amount, 0) - refunded
  const tips = payments.reduce((sum, p) => sum + p.tip, 0)
  const change = payments.reduce((sum, p) => sum + p.change, 0)

  return {
    ...amounts,
    paid,
    tips,
    refunded,
    change,
    balance: amounts.total - paid,
    taxes,
    lines,
    checks: splitChecks(order, active, lines, taxes, amounts),
  }
}

/**
 * What counts as refunded of each payment: its refunds, but never more than the payment itself.
 * Two devices refunding one payment in full while apart record twice its amount; the excess is
 * named by an `over-refunded` conflict instead of making paid negative (invariant catalogue).
 * Refunds of a payment this order does not hold (moved away, or unknown) count nothing here.
 */
export function refundedByPayment(
  order: Pick<OrderData, 'payments' | 'refunds'>,
): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of Object.values(order.refunds)) {
    const p = Object.hasOwn(order.payments, r.paymentId) ? order.payments[r.paymentId] : undefined
    if (!p) continue
    out.set(p.id, Math.min(p.amount, (out.get(p.id) ?? 0) + r.amount))
  }
  return out
}

function adjustmentAmount(
  a: { kind: string; percentBasisPoints: number | null; amount: number | null },
  base: number,
): number {
  if (a.percentBasisPoints !== null) return percentOf(base, a.percentBasisPoints)
  if (a.amount !== null) return a.amount
  return a.kind === 'comp' ? base : 0
}

function taxLines(active: LineState[], net: Map<string, number>): TaxLine[] {
  const groups = new Map<string, { rate: Line; base: number }>()
  for (const s of active) {
    const key = `${s.line.taxRateId}|${s.line.taxBasisPoints}|${s.line.taxInclusive}`
    const g = groups.get(key) ?? { rate: s.line, base: 0 }
    g.base += net.get(s.line.id) ?? 0
    groups.set(key, g)
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { rate, base }]) => ({
      taxRateId: rate.taxRateId,
      basisPoints: rate.taxBasisPoints,
      inclusive: rate.taxInclusive,
      base,
      tax: rate.taxInclusive
        ? includedTax(base, rate.taxBasisPoints)
        : percentOf(base, rate.taxBasisPoints),
    }))
}

function sumAmounts(lines: LineAmounts[], taxes: TaxLine[]): Amounts {
  const subtotal = lines.reduce((s, l) => s + l.gross, 0)
  const discounts = lines.reduce((s, l) => s + l.discount, 0)
  const comps = lines.reduce((s, l) => s + l.comp, 0)
  const exclusiveTax = taxes.filter((t) => !t.inclusive).reduce((s, t) => s + t.tax, 0)
  const inclusiveTax = taxes.filter((t) => t.inclusive).reduce((s, t) => s + t.tax, 0)
  return {
    subtotal,
    discounts,
    comps,
    exclusiveTax,
    inclusiveTax,
    total: subtotal - discounts - comps + exclusiveTax,
  }
}

/**
 * How much of each line belongs to each check: integer weights per check (a line shared by n
 * checks weighs 1 in each, a line on one check of n weighs n there), so allocation stays integer.
 */
type Shares = Map<string, number[]>

function splitChecks(
  order: OrderData,
  active: LineState[],
  lines: Record<string, LineAmounts>,
  taxes: TaxLine[],
  amounts: Amounts,
): CheckTotals[] {
  const { count, shares } = checkShares(order, active)
  const ids = active.map((s) => s.line.id)
  const share = (amountOf: (id: string) => number, total: number) =>
    allocate(
      total,
      Array.from({ length: count }, (_, c) =>
        ids.reduce((sum, id) => sum + amountOf(id) * (shares.get(id)?.[c] ?? 0), 0),
      ),
    )
  const line = (id: string) => lines[id] as LineAmounts
  const subtotal = share((id) => line(id).gross, amounts.subtotal)
  const discounts = share((id) => line(id).discount, amounts.discounts)
  const comps = share((id) => line(id).comp, amounts.comps)
  const exclusive = new Array<number>(count).fill(0)
  const inclusive = new Array<number>(count).fill(0)
  for (const t of taxes) {
    const inGroup = (id: string) => {
      const l = active.find((s) => s.line.id === id)?.line
      return (
        l &&
        l.taxRateId === t.taxRateId &&
        l.taxBasisPoints === t.basisPoints &&
        l.taxInclusive === t.inclusive
      )
    }
    const parts = share((id) => (inGroup(id) ? line(id).net : 0), t.tax)
    parts.forEach((p, c) => {
      const target = t.inclusive ? inclusive : exclusive
      target[c] = (target[c] ?? 0) + p
    })
  }
  const totals = Array.from(
    { length: count },
    (_, c) => (subtotal[c] ?? 0) - (discounts[c] ?? 0) - (comps[c] ?? 0) + (exclusive[c] ?? 0),
  )
  const paidByCheck = new Array<number>(count).fill(0)
  const refunds = refundedByPayment(order)
  let unassigned = 0
  for (const p of Object.values(order.payments)) {
    const net = p.amount - (refunds.get(p.id) ?? 0)
    if (p.check >= 1 && p.check <= count)
      paidByCheck[p.check - 1] = (paidByCheck[p.check - 1] ?? 0) + net
    else unassigned += net
  }
  // A whole-order payment, or one for a check the latest plan no longer has, still paid the
  // order: it is shared over the checks by what each still owes (then by their totals), so the
  // checks' balances always add up to the order's balance.
  if (unassigned !== 0) {
    const owed = totals.map((t, c) => Math.max(0, t - (paidByCheck[c] ?? 0)))
    const weights = owed.some((x) => x > 0) ? owed : totals.map((t) => Math.max(0, t))
    allocate(unassigned, weights).forEach((x, c) => {
      paidByCheck[c] = (paidByCheck[c] ?? 0) + x
    })
  }
  return Array.from({ length: count }, (_, c) => {
    const at = (xs: number[]) => xs[c] ?? 0
    const total = at(totals)
    const paid = at(paidByCheck)
    return {
      check: c + 1,
      lineIds: ids.filter((id) => (shares.get(id)?.[c] ?? 0) > 0),
      subtotal: at(subtotal),
      discounts: at(discounts),
      comps: at(comps),
      exclusiveTax: at(exclusive),
      inclusiveTax: at(inclusive),
      total,
      paid,
      balance: total - paid,
    }
  })
}

function checkShares(order: OrderData, active: LineState[]): { count: number; shares: Shares } {
  const plan = latestEntry(order.splits)
  const shares: Shares = new Map()
  const everyone = (count: number) => {
    for (const s of active) shares.set(s.line.id, new Array<number>(count).fill(1))
    return { count, shares }
  }
  if (!plan || plan.mode === 'none') return everyone(1)
  if (plan.mode === 'even') return everyone(Math.max(1, plan.parts))
  if (plan.mode === 'item') {
    const count = Math.max(1, plan.parts)
    for (const s of active) {
      const n = plan.assignments[s.line.id] ?? 1
      const row = new Array<number>(count).fill(0)
      row[Math.min(Math.max(n, 1), count) - 1] = 1
      shares.set(s.line.id, row)
    }
    return { count, shares }
  }
  // By seat: one check per seat in seat order; lines for the whole table are shared evenly.
  const seats = [
    ...new Set(active.map((s) => s.line.seat).filter((x): x is number => x !== null)),
  ].sort((a, b) => a - b)
  if (seats.length === 0) return everyone(1)
  for (const s of active) {
    const row = new Array<number>(seats.length).fill(s.line.seat === null ? 1 : 0)
    if (s.line.seat !== null) row[seats.indexOf(s.line.seat)] = seats.length
    shares.set(s.line.id, row)
  }
  return { count: seats.length, shares }
}
