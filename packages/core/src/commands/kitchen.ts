import { TabsyncError, ErrorKind, check } from '../errors.js'
import { readPresent } from '../views/membership.js'
import { newId } from '../ids.js'
import type { OrderData, OrderDoc, PrintOutcome, Ticket, TicketItem } from '../schema/order.js'
import { heldCourses, lineStates, type LineState } from '../views/line-states.js'
import {
  appendEntry,
  checkInput,
  checkInt,
  checkRef,
  own,
  stamp,
  type CommandContext,
} from './context.js'
import { assertOpen } from './order-lifecycle.js'

export interface FireInput {
  /** Fire exactly these lines (their unfired quantity). */
  readonly lineIds?: readonly string[]
  /** Fire every unfired line of this course, even if it is held. */
  readonly course?: number
}

/**
 * Sends unfired quantities to the kitchen: one ticket per station, each with a snapshot of what
 * to cook. With no input it fires everything new outside held courses. Returns the ticket ids
 * (empty when there was nothing to fire).
 */
export function fire(doc: OrderDoc, ctx: CommandContext, input: FireInput = {}): string[] {
  const order = readPresent(doc)
  assertOpen(order)
  const states = lineStates(order)
  let chosen: LineState[]
  if (input.lineIds) {
    chosen = input.lineIds.map((id) => {
      const s = states.find((x) => x.line.id === id)
      if (!s) throw new TabsyncError(ErrorKind.notFound, `unknown line ${id}`)
      if (s.voided) throw new TabsyncError(ErrorKind.voided, `${s.line.name} is voided`)
      return s
    })
  } else if (input.course !== undefined) {
    checkInt(input.course, 1, 9, 'course')
    chosen = states.filter((s) => s.line.course === input.course)
  } else {
    const held = heldCourses(order)
    chosen = states.filter((s) => !held.has(s.line.course))
  }
  const byStation = new Map<string, TicketItem[]>()
  for (const s of chosen) {
    if (s.unfired <= 0) continue
    const items = byStation.get(s.line.station) ?? []
    items.push(ticketItem(s, s.unfired, s.fired))
    byStation.set(s.line.station, items)
  }
  const ids: string[] = []
  for (const [station, items] of [...byStation].sort(([a], [b]) => (a < b ? -1 : 1))) {
    items.sort((a, b) => a.course - b.course || (a.seat ?? 0) - (b.seat ?? 0))
    ids.push(appendTicket(doc, ctx, order, 'fire', station, items))
  }
  return ids
}

function ticketItem(s: LineState, quantity: number, fromQuantity: number): TicketItem {
  return {
    lineId: s.line.id,
    name: s.line.name,
    quantity,
    fromQuantity,
    modifiers: s.line.modifiers.map((m) => m.name),
    note: s.line.note,
    seat: s.line.seat,
    course: s.line.course,
  }
}

function appendTicket(
  doc: OrderDoc,
  ctx: CommandContext,
  order: OrderData,
  kind: Ticket['kind'],
  station: string,
  items: TicketItem[],
): string {
  const id = newId()
  const tableLabel = own(ctx.store.tables, order.tableId)?.label ?? order.tableId
  const ticket: Ticket = { id, kind, station, tableLabel, items, ...stamp(ctx) }
  appendEntry(doc.tickets, ticket)
  return id
}

/** Appends the VOID ticket for a fired line that was voided. */
export function appendVoidTicket(
  doc: OrderDoc,
  ctx: CommandContext,
  order: OrderData,
  s: LineState,
): string {
  return appendTicket(doc, ctx, order, 'void', s.line.station, [ticketItem(s, s.fired, 0)])
}

/**
 * Sends the VOID ticket a line needs when it was voided on one device while another fired it.
 * This resolves the `void-needs-ticket` conflict.
 */
export function sendVoidTicket(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { lineId: string },
): string {
  const order = readPresent(doc)
  const s = lineStates(order).find((x) => x.line.id === input.lineId)
  if (!s) throw new TabsyncError(ErrorKind.notFound, `unknown line ${input.lineId}`)
  check(
    s.voided !== undefined && s.fired > 0,
    'only a voided line that was fired needs a VOID ticket',
  )
  check(!s.voidSent, 'the VOID ticket was already sent')
  return appendVoidTicket(doc, ctx, order, s)
}

/** Holds a course (it will not fire with "fire all") or releases it. */
export function holdCourse(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { course: number; held: boolean },
): string {
  checkInt(input.course, 1, 9, 'course')
  check(typeof input.held === 'boolean', 'held must be true or false')
  const id = newId()
  appendEntry(doc.holds, { id, course: input.course, held: input.held, ...stamp(ctx) })
  return id
}

/**
 * Records what a print bridge did with a ticket. 'printed' and 'duplicate' are idempotent per
 * ticket and printer; every 'reprinted' is a new entry.
 */
export function recordPrint(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { ticketId: string; printerId: string; outcome: PrintOutcome },
): string {
  checkInput(input, 'recordPrint')
  checkRef(input.ticketId, 'ticketId')
  checkRef(input.printerId, 'printerId')
  if (!own(doc.tickets, input.ticketId))
    throw new TabsyncError(ErrorKind.notFound, `unknown ticket ${input.ticketId}`)
  check(['printed', 'duplicate', 'reprinted'].includes(input.outcome), 'unknown print outcome')
  const id =
    input.outcome === 'reprinted'
      ? newId()
      : `${input.outcome}-${input.ticketId}-${input.printerId}`
  if (doc.prints[id]) return id
  appendEntry(doc.prints, { id, ...input, ...stamp(ctx) })
  return id
}

/** The kitchen marks a ticket done (idempotent). */
export function bumpTicket(doc: OrderDoc, ctx: CommandContext, input: { ticketId: string }): void {
  checkInput(input, 'bumpTicket')
  checkRef(input.ticketId, 'ticketId')
  if (!own(doc.tickets, input.ticketId))
    throw new TabsyncError(ErrorKind.notFound, `unknown ticket ${input.ticketId}`)
  const id = `bump-${input.ticketId}`
  if (doc.bumps[id]) return
  appendEntry(doc.bumps, { id, ticketId: input.ticketId, ...stamp(ctx) })
}
