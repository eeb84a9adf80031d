import type { OrderData } from '../schema/order.js'
import { compareEntries } from './entries.js'
import { ticketStates, type TicketState } from './line-states.js'

/** A ticket in a station's queue, with where it came from. */
export interface KitchenQueueTicket extends TicketState {
  readonly orderId: string
  readonly tableId: string
}

/**
 * Tickets per station across orders, oldest first. `pending` excludes bumped tickets and
 * duplicates; a kitchen display shows `pending`, marks VOID tickets, and bumps when done.
 */
export function kitchenQueue(orders: readonly OrderData[]): Map<string, KitchenQueueTicket[]> {
  const byStation = new Map<string, KitchenQueueTicket[]>()
  // A ticket copied along with its lines when checks were combined is one ticket, listed once.
  const seen = new Set<string>()
  for (const order of orders) {
    for (const t of ticketStates(order)) {
      if (seen.has(t.ticket.id)) continue
      seen.add(t.ticket.id)
      const list = byStation.get(t.ticket.station) ?? []
      list.push({ ...t, orderId: order.orderId, tableId: order.tableId })
      byStation.set(t.ticket.station, list)
    }
  }
  for (const list of byStation.values()) {
    list.sort((a, b) => compareEntries(a.ticket, b.ticket))
  }
  return byStation
}

/** The tickets a station still has to cook: not bumped, not duplicates. */
export function pendingTickets(queue: readonly KitchenQueueTicket[]): KitchenQueueTicket[] {
  return queue.filter((t) => !t.bumped && !t.duplicate)
}
