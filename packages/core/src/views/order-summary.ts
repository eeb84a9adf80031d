import type { OrderData, OrderDoc } from '../schema/order.js'
import { readOrder } from '../schema/order.js'
import { fieldConflicts, orderConflicts, type Conflict } from './conflicts.js'
import {
  heldCourses,
  lineStates,
  ticketStates,
  type LineState,
  type TicketState,
} from './line-states.js'
import { orderStatus, type StatusView } from './status.js'
import { orderTotals, type OrderTotals } from './totals.js'

/** Everything a screen needs about one order, derived in one pass. */
export interface OrderSummary {
  readonly order: OrderData
  readonly lines: readonly LineState[]
  readonly tickets: readonly TicketState[]
  readonly totals: OrderTotals
  readonly conflicts: readonly Conflict[]
  readonly status: StatusView
  readonly heldCourses: ReadonlySet<number>
}

/**
 * Derives every view of an order document: lines with state, tickets, totals, conflicts, status.
 *
 * @example
 * const s = summarizeOrder(handle.doc())
 * s.status.status // 'fired'
 * s.totals.balance // 1850
 */
export function summarizeOrder(doc: OrderDoc): OrderSummary {
  const order = readOrder(doc)
  return summarizeOrderData(order, fieldConflicts(doc))
}

/** {@link summarizeOrder} for already-decoded data (no descriptive-field conflicts then). */
export function summarizeOrderData(
  order: OrderData,
  fields: Parameters<typeof orderConflicts>[4] = [],
): OrderSummary {
  const tickets = ticketStates(order)
  const lines = lineStates(order, tickets)
  const totals = orderTotals(order, lines)
  const conflicts = orderConflicts(order, lines, tickets, totals, fields)
  return {
    order,
    lines,
    tickets,
    totals,
    conflicts,
    status: orderStatus(order, lines, totals, conflicts),
    heldCourses: heldCourses(order),
  }
}
