import type { OrderData } from '../schema/order.js'
import type { Conflict } from './conflicts.js'
import { isCancelledByEvents, isClosedByEvents, type LineState } from './line-states.js'
import type { OrderTotals } from './totals.js'

export const OrderStatus = {
  open: 'open',
  fired: 'fired',
  paid: 'paid',
  closed: 'closed',
  needsAttention: 'needs-attention',
  /** An empty check cancelled: off the floor, counted as cancelled in reports. */
  cancelled: 'cancelled',
  /** Everything moved to another check (combined): off the floor, counted there. */
  combined: 'combined',
} as const
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus]

export interface StatusView {
  readonly status: OrderStatus
  /** Why, in words staff understand. */
  readonly reasons: readonly string[]
}

/**
 * An order's status, derived from its entries and never stored, so two devices can never
 * disagree about it after merging.
 */
export function orderStatus(
  order: OrderData,
  states: readonly LineState[],
  totals: OrderTotals,
  conflicts: readonly Conflict[],
): StatusView {
  if (conflicts.length > 0) {
    return { status: 'needs-attention', reasons: conflicts.map((c) => c.message) }
  }
  if (isCancelledByEvents(order)) return { status: 'cancelled', reasons: ['cancelled, empty'] }
  // Never "closed and settled" while money is due, whatever was accepted (invariant catalogue).
  if (isClosedByEvents(order) && totals.balance <= 0)
    return { status: 'closed', reasons: ['closed and settled'] }
  if (isClosedByEvents(order)) {
    return { status: 'needs-attention', reasons: [`closed with ${totals.balance} due`] }
  }
  const active = states.filter((s) => !s.voided)
  const transferredOut = Object.values(order.transfers ?? {}).some((t) => t.direction === 'out')
  if (transferredOut && states.length === 0 && Object.keys(order.payments).length === 0) {
    return { status: 'combined', reasons: ['moved to another check'] }
  }
  if (active.length > 0 && totals.balance <= 0) {
    return { status: 'paid', reasons: ['paid in full, not yet closed'] }
  }
  const unfired = active.filter((s) => s.unfired > 0).length
  if (active.some((s) => s.fired > 0)) {
    return {
      status: 'fired',
      reasons: [unfired > 0 ? `${unfired} line(s) not yet fired` : 'everything fired'],
    }
  }
  return {
    status: 'open',
    reasons: [active.length === 0 ? 'no lines yet' : `${unfired} line(s) not yet fired`],
  }
}
