import {
  MAX_QUANTITY,
  type Line,
  type OrderData,
  type Ticket,
  type TicketItem,
  type VoidEntry,
} from '../schema/order.js'
import { sortedEntries, latestEntry } from './entries.js'

/** A ticket item and how much of it the kitchen still has to act on, after duplicates. */
export interface TicketItemState {
  readonly item: TicketItem
  /** Units of this item not already covered by an earlier ticket for the same line. */
  readonly effectiveQuantity: number
  /** True when an earlier ticket already covered every unit of it: print nothing. */
  readonly duplicate: boolean
}

/** A ticket with its kitchen-relevant state. */
export interface TicketState {
  readonly ticket: Ticket
  readonly items: readonly TicketItemState[]
  /** Every item was already sent by an earlier ticket (two devices fired it while apart). */
  readonly duplicate: boolean
  /** Some item overlapped an earlier ticket. */
  readonly overlaps: boolean
  readonly printed: boolean
  readonly bumped: boolean
}

/** Everything derived about one line. */
export interface LineState {
  readonly line: Line
  /**
   * The quantity every view bills and cooks: the counter, but never below what the kitchen was
   * sent (a unit taken off on one device while another fired it is still cooked, so still
   * billed), never below 0 and never above {@link MAX_QUANTITY} (see the invariant catalogue).
   */
  readonly quantity: number
  /** The quantity counter as merged, before those bounds (may be 0, negative or above 999). */
  readonly rawQuantity: number
  readonly voided: VoidEntry | undefined
  /** Units sent to the kitchen (union of fired ranges: duplicates count once). */
  readonly fired: number
  /** Units not yet fired (0 when voided). */
  readonly unfired: number
  /** A VOID ticket was sent for this line. */
  readonly voidSent: boolean
  /** Ids of the tickets that mention this line. */
  readonly ticketIds: readonly string[]
  /** Every ticket that fired this line has been printed. */
  readonly printed: boolean
}

/**
 * Tickets in canonical order with duplicates worked out. Fire tickets of a line cover ranges of
 * its units [fromQuantity, fromQuantity + quantity); a unit covered by an earlier ticket is a
 * duplicate. VOID tickets after the first for a line are duplicates. Deterministic on every replica.
 */
export function ticketStates(
  order: Pick<OrderData, 'tickets' | 'prints' | 'bumps'>,
): TicketState[] {
  const printed = new Set(Object.values(order.prints).map((p) => p.ticketId))
  const bumped = new Set(Object.values(order.bumps).map((b) => b.ticketId))
  const covered = new Map<string, Set<number>>()
  const voidSent = new Set<string>()
  return sortedEntries(order.tickets).map((ticket) => {
    const items = ticket.items.map((item): TicketItemState => {
      if (ticket.kind === 'void') {
        const dup = voidSent.has(item.lineId)
        voidSent.add(item.lineId)
        return { item, effectiveQuantity: dup ? 0 : item.quantity, duplicate: dup }
      }
      let units = covered.get(item.lineId)
      if (!units) covered.set(item.lineId, (units = new Set()))
      let fresh = 0
      for (let u = item.fromQuantity; u < item.fromQuantity + item.quantity; u++) {
        if (!units.has(u)) fresh++
        units.add(u)
      }
      return { item, effectiveQuantity: fresh, duplicate: fresh === 0 }
    })
    return {
      ticket,
      items,
      duplicate: items.length > 0 && items.every((i) => i.duplicate),
      overlaps: items.some((i) => i.effectiveQuantity < i.item.quantity),
      printed: printed.has(ticket.id),
      bumped: bumped.has(ticket.id),
    }
  })
}

/** Every line with its quantity, void, fired and printed state, in canonical order. */
export function lineStates(
  order: Pick<OrderData, 'lines' | 'voids' | 'tickets' | 'prints' | 'bumps'>,
  tickets = ticketStates(order),
): LineState[] {
  const voids = new Map<string, VoidEntry>()
  for (const v of sortedEntries(order.voids)) if (!voids.has(v.lineId)) voids.set(v.lineId, v)
  const fired = new Map<string, Set<number>>()
  const voidTicket = new Set<string>()
  const ticketIds = new Map<string, string[]>()
  const unprinted = new Set<string>()
  for (const t of tickets) {
    for (const { item } of t.items) {
      ticketIds.set(item.lineId, [...(ticketIds.get(item.lineId) ?? []), t.ticket.id])
      if (t.ticket.kind === 'void') {
        voidTicket.add(item.lineId)
        continue
      }
      let units = fired.get(item.lineId)
      if (!units) fired.set(item.lineId, (units = new Set()))
      for (let u = item.fromQuantity; u < item.fromQuantity + item.quantity; u++) units.add(u)
      if (!t.printed && !t.duplicate) unprinted.add(item.lineId)
    }
  }
  return sortedEntries(order.lines).map((line) => {
    const voided = voids.get(line.id)
    const firedCount = fired.get(line.id)?.size ?? 0
    const quantity = Math.max(firedCount, Math.min(Math.max(line.quantity, 0), MAX_QUANTITY))
    return {
      line,
      quantity,
      rawQuantity: line.quantity,
      voided,
      fired: firedCount,
      unfired: voided ? 0 : Math.max(0, quantity - firedCount),
      voidSent: voidTicket.has(line.id),
      ticketIds: ticketIds.get(line.id) ?? [],
      printed: firedCount > 0 && !unprinted.has(line.id),
    }
  })
}

/** Courses currently on hold: the latest hold entry per course decides. */
export function heldCourses(order: OrderData): Set<number> {
  const latest = new Map<number, boolean>()
  for (const h of sortedEntries(order.holds)) latest.set(h.course, h.held)
  return new Set([...latest].filter(([, held]) => held).map(([c]) => c))
}

/** True when the order's latest close is later than its latest reopen. */
export function isClosedByEvents(order: Pick<OrderData, 'closes' | 'reopens'>): boolean {
  return laterThanReopen(latestEntry(order.closes), order)
}

/**
 * True when the order's latest cancel is later than its latest reopen (a reopen undoes a
 * cancel as it undoes a close). Older documents have no `cancels` map: never cancelled.
 */
export function isCancelledByEvents(order: Pick<OrderData, 'cancels' | 'reopens'>): boolean {
  return laterThanReopen(order.cancels ? latestEntry(order.cancels) : undefined, order)
}

function laterThanReopen(
  event: { at: string; id: string } | undefined,
  order: Pick<OrderData, 'reopens'>,
): boolean {
  if (!event) return false
  const reopen = latestEntry(order.reopens)
  return !reopen || event.at > reopen.at || (event.at === reopen.at && event.id > reopen.id)
}

/** The latest close event's time, if the order is closed by its events. */
export function closedAt(order: OrderData): string | undefined {
  return isClosedByEvents(order) ? latestEntry(order.closes)?.at : undefined
}
