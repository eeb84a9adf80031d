import { MAX_QUANTITY } from '../schema/order.js'
import { closedAt, isCancelledByEvents } from '../views/line-states.js'
import type { Conflict } from '../views/conflicts.js'
import type { OrderSummary } from '../views/order-summary.js'
import { INVARIANTS, type InvariantId } from './catalogue.js'

/** A catalogue invariant that does not hold in a merged order. */
export interface Violation {
  readonly invariant: InvariantId
  /** The line or payment it is about, if any. */
  readonly lineId?: string
  readonly paymentId?: string
  readonly message: string
}

/**
 * Every catalogue invariant that does not hold in the merged order `s` (its raw entries, not
 * only its derived views). A violation of a `conflict` row is expected after a merge, as long as
 * a conflict names it ({@link unnamedViolations}); a violation of a `derived` row is a bug.
 */
export function invariantViolations(s: OrderSummary): Violation[] {
  const out: Violation[] = []
  const v = (invariant: InvariantId, message: string, about: Partial<Violation> = {}) =>
    out.push({ invariant, message, ...about })
  for (const l of s.lines) {
    const lineId = l.line.id
    if (l.quantity > MAX_QUANTITY || l.quantity < l.fired || l.quantity < 0)
      v('quantity-at-least-fired', `derived quantity ${l.quantity} is out of bounds`, { lineId })
    if (l.voided) continue
    if (l.quantity < 1) v('quantity-at-least-one', `quantity ${l.quantity}`, { lineId })
    if (l.rawQuantity > MAX_QUANTITY)
      v('quantity-at-most-max', `counter ${l.rawQuantity}`, { lineId })
    if (l.rawQuantity < l.fired)
      v('quantity-at-least-fired', `counter ${l.rawQuantity} < ${l.fired} fired`, { lineId })
    if (
      l.fired > 0 &&
      s.tickets.some((t) =>
        t.items.some(
          (i) =>
            i.item.lineId === lineId &&
            t.ticket.kind === 'fire' &&
            i.effectiveQuantity < i.item.quantity,
        ),
      )
    )
      v('fired-once', 'units fired twice', { lineId })
  }
  for (const l of s.lines) {
    if (l.voided && l.fired > 0 && !l.voidSent)
      v('void-reaches-kitchen', 'no VOID ticket', { lineId: l.line.id })
  }
  const refunded = new Map<string, number>()
  for (const r of Object.values(s.order.refunds))
    refunded.set(r.paymentId, (refunded.get(r.paymentId) ?? 0) + r.amount)
  for (const [paymentId, amount] of refunded) {
    const p = Object.hasOwn(s.order.payments, paymentId) ? s.order.payments[paymentId] : undefined
    if (p && amount > p.amount)
      v('refund-at-most-payment', `refunded ${amount} of ${p.amount}`, { paymentId })
  }
  const t = s.totals
  if (t.paid < 0 || t.checks.some((c) => c.paid < 0)) v('paid-not-negative', `paid ${t.paid}`)
  if (t.balance < 0) v('no-overpayment', `overpaid by ${-t.balance}`)
  const closed = closedAt(s.order)
  if (closed !== undefined) {
    if (t.balance > 0) v('close-when-settled', `closed with ${t.balance} due`)
    for (const l of s.lines)
      if (!l.voided && l.line.at > closed)
        v('close-when-settled', 'line after close', { lineId: l.line.id })
  }
  if (
    isCancelledByEvents(s.order) &&
    (s.lines.some((l) => !l.voided && l.quantity > 0) || Object.keys(s.order.payments).length > 0)
  )
    v('cancel-only-empty', 'cancelled with lines or payments')
  const sum = (f: (c: (typeof t.checks)[number]) => number) =>
    t.checks.reduce((a, c) => a + f(c), 0)
  if (
    sum((c) => c.total) !== t.total ||
    sum((c) => c.paid) !== t.paid ||
    sum((c) => c.balance) !== t.balance
  )
    v('splits-cover-payments', 'the split checks do not add up to the order')
  const status = s.status.status
  if ((status === 'paid' || status === 'closed') && (t.balance > 0 || s.conflicts.length > 0))
    v(
      'status-truthful',
      `status ${status} with ${t.balance} due and ${s.conflicts.length} conflict(s)`,
    )
  if (s.conflicts.length > 0 && status !== 'needs-attention')
    v('status-truthful', `status ${status} with open conflicts`)
  return out
}

/**
 * The violations no conflict (open or accepted) names: empty for every merged order, which is
 * what the catalogue promises. A `derived` or `structural` row is never named by a conflict, so
 * any violation of one is returned.
 */
export function unnamedViolations(s: OrderSummary): Violation[] {
  const conflicts: readonly Conflict[] = [...s.conflicts, ...s.acceptedConflicts]
  return invariantViolations(s).filter((v) => {
    const row = INVARIANTS.find((i) => i.id === v.invariant)
    if (row?.merged !== 'conflict') return true
    return !conflicts.some(
      (c) =>
        c.invariant === v.invariant &&
        (v.lineId === undefined || c.lineId === v.lineId) &&
        (v.paymentId === undefined || c.paymentId === v.paymentId),
    )
  })
}
