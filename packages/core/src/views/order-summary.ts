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
import { newerContent, type NewerContent } from '../schema/compat.js'
import { MIGRATIONS, type MigrationRegistry } from '../schema/migrations.js'
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
  const moved = membership(order)
  const present = moved.present
  const tickets = ticketStates(present)
  const lines = lineStates(present, tickets)
  const totals = orderTotals(present, lines)
  const all = detectConflicts(present, lines, tickets, totals, fields, moved)
  const conflicts = all.filter((c) => !c.accepted).map(({ accepted: _, ...c }) => c)
  const acceptedConflicts = all.filter((c) => c.accepted).map(({ accepted: _, ...c }) => c)
  const newer = newerContent(order, registry)
  const status = orderStatus(present, lines, totals, conflicts)
  return {
    order: present,
    fullOrder: order,
    lines,
    tickets,
    totals,
    conflicts,
    acceptedConflicts,
    status: newer.entries > 0 ? newerVersionStatus(newer, status) : status,
    heldCourses: heldCourses(present),
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
