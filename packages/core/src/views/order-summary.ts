import type { OrderData, OrderDoc } from '../schema/order.js'
import { readOrder } from '../schema/order.js'
import type { orderConflicts } from './conflicts.js'
import { detectConflicts, fieldConflicts, type Conflict } from './conflicts.js'
import { membership } from './membership.js'
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
  /**
   * The order as it counts: entries transferred to another check are left out (they count
   * there). `fullOrder` has every entry the document holds.
   */
  readonly order: OrderData
  readonly fullOrder: OrderData
  readonly lines: readonly LineState[]
  readonly tickets: readonly TicketState[]
  readonly totals: OrderTotals
  /** Conflicts staff still have to act on. */
  readonly conflicts: readonly Conflict[]
  /** Conflicts staff accepted as they are (a resolution entry names them). */
  readonly acceptedConflicts: readonly Conflict[]
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
  const moved = membership(order)
  const present = moved.present
  const tickets = ticketStates(present)
  const lines = lineStates(present, tickets)
  const totals = orderTotals(present, lines)
  const all = detectConflicts(present, lines, tickets, totals, fields, moved)
  const conflicts = all.filter((c) => !c.accepted).map(({ accepted: _, ...c }) => c)
  const acceptedConflicts = all.filter((c) => c.accepted).map(({ accepted: _, ...c }) => c)
  return {
    order: present,
    fullOrder: order,
    lines,
    tickets,
    totals,
    conflicts,
    acceptedConflicts,
    status: orderStatus(present, lines, totals, conflicts),
    heldCourses: heldCourses(present),
  }
}
