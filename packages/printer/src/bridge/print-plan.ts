import { compareEntries, type Ticket } from '@tabsync/core'
import type { OrderSnapshot } from '../source/ticket-source.js'

/** A ticket in a printer's plan, waiting to print, with the order it belongs to. (Not core's
 *  `QueuedTicket`, a kitchen display's view of a ticket.) */
export interface PlannedTicket {
  readonly orderUrl: string
  readonly ticket: Ticket
}

/** What a printer has already covered: units per line, and lines whose VOID went out. */
export interface Coverage {
  readonly units: Map<string, Set<number>>
  readonly voids: Set<string>
}

/** A printer's work: its pending tickets in order, and what it has covered so far. */
export interface PrinterPlan {
  readonly queue: PlannedTicket[]
  readonly coverage: Coverage
}

/**
 * Works out a printer's queue from the orders and what it has already handled.
 *
 * Why not core's `ticketStates(order).duplicate`: that view orders tickets by their clock, so a
 * ticket fired earlier on a device that was offline, arriving after a later ticket for the same
 * line was printed, would make the printed one "the duplicate" and this one the original. The
 * printer must instead dedupe against what it actually sent. Every handled ticket (printed,
 * being sent, uncertain, or skipped as a duplicate) covers its whole unit range
 * [fromQuantity, fromQuantity + quantity): by induction that is exactly the set of units the
 * printer has put on paper (or may have), so whatever is not covered is what is left to print.
 *
 * @param handled true for tickets this printer already handled (ledger or print records)
 */
export function planPrinter(
  orders: readonly OrderSnapshot[],
  stations: ReadonlySet<string>,
  handled: (ticket: Ticket, orderUrl: string) => boolean,
): PrinterPlan {
  const coverage: Coverage = { units: new Map(), voids: new Set() }
  const queue: PlannedTicket[] = []
  for (const { url, order } of orders) {
    for (const ticket of Object.values(order.tickets)) {
      if (!stations.has(ticket.station)) continue
      if (handled(ticket, url)) cover(coverage, ticket)
      else queue.push({ orderUrl: url, ticket })
    }
  }
  queue.sort((a, b) => compareEntries(a.ticket, b.ticket))
  return { queue, coverage }
}

/** Adds a ticket's units (or its VOIDs) to the coverage. */
export function cover(coverage: Coverage, ticket: Ticket): void {
  for (const item of ticket.items) {
    if (ticket.kind === 'void') {
      coverage.voids.add(item.lineId)
      continue
    }
    let units = coverage.units.get(item.lineId)
    if (!units) coverage.units.set(item.lineId, (units = new Set()))
    for (let u = item.fromQuantity; u < item.fromQuantity + item.quantity; u++) units.add(u)
  }
}

/**
 * Units of each item of `ticket` not yet covered: what to print. All zero means the ticket is
 * a duplicate (two devices fired the same line while apart): it prints nothing.
 */
export function uncovered(coverage: Coverage, ticket: Ticket): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of ticket.items) {
    let n = 0
    if (ticket.kind === 'void') {
      n = coverage.voids.has(item.lineId) ? 0 : item.quantity
    } else {
      const units = coverage.units.get(item.lineId)
      for (let u = item.fromQuantity; u < item.fromQuantity + item.quantity; u++) {
        if (!units?.has(u)) n++
      }
    }
    out[item.lineId] = (out[item.lineId] ?? 0) + n
  }
  return out
}

/** True when nothing of the ticket is left to print. */
export function isNothing(quantities: Readonly<Record<string, number>>): boolean {
  return Object.values(quantities).every((n) => n === 0)
}
