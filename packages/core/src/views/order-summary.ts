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
import { newerContent, type NewerContent } from '../schema/compat.js'
import { MIGRATIONS, type MigrationRegistry } from '../schema/migrations.js'
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
  /**
   * What a newer version of Tabsync wrote that this device cannot read (entry kinds it does not
   * know). When anything is there the status is "needs attention": totals may be missing it.
   */
  readonly newer: NewerContent
}

/**
 * Derives every view of an order document: lines with state, tickets, totals, conflicts, status.
 *
 * @example
 * const s = summarizeOrder(handle.doc())
 * s.status.status // 'fired'
 * s.totals.balance // 1850
 */
export function summarizeOrder(
  doc: OrderDoc,
  registry: MigrationRegistry = MIGRATIONS,
): OrderSummary {
  const order = readOrder(doc)
  return summarizeOrderData(order, fieldConflicts(doc), registry)
}

/** {@link summarizeOrder} for already-decoded data (no descriptive-field conflicts then). */
export function summarizeOrderData(
  order: OrderData,
  fields: Parameters<typeof orderConflicts>[4] = [],
  registry: MigrationRegistry = MIGRATIONS,
): OrderSummary {
  const tickets = ticketStates(order)
  const lines = lineStates(order, tickets)
  const totals = orderTotals(order, lines)
  const conflicts = orderConflicts(order, lines, tickets, totals, fields)
  const newer = newerContent(order, registry)
  const status = orderStatus(order, lines, totals, conflicts)
  return {
    order,
    lines,
    tickets,
    totals,
    conflicts,
    status: newer.entries > 0 ? newerVersionStatus(newer, status) : status,
    heldCourses: heldCourses(order),
    newer,
  }
}

/** A check holding entries of a newer version is never shown as settled on an older device. */
function newerVersionStatus(newer: NewerContent, status: StatusView): StatusView {
  return {
    status: 'needs-attention',
    reasons: [
      `${newer.entries} entr${newer.entries === 1 ? 'y' : 'ies'} from a newer version of the app: update this device`,
      ...status.reasons,
    ],
  }
}
