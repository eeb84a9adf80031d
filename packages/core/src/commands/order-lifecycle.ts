import type { Hlc } from '../clock/hlc.js'
import { readPresent } from '../views/membership.js'
import { businessDate } from '../clock/business-day.js'
import { TabsyncError, ErrorKind, check } from '../errors.js'
import { newId, isId } from '../ids.js'
import { encode } from '../schema/encoding.js'
import { initOrderDoc, type OrderData, type OrderDoc } from '../schema/order.js'
import { readOrder } from '../schema/order.js'
import type { OrderRef, TableDoc } from '../schema/table.js'
import { indexOrder } from '../schema/table-index.js'
import { isCancelledByEvents, isClosedByEvents } from '../views/line-states.js'
import { orderTotals } from '../views/totals.js'
import {
  append,
  appendEntry,
  checkInput,
  checkInt,
  checkRef,
  checkText,
  own,
  setField,
  stamp,
  type CommandContext,
} from './context.js'

/** A new order's id, its first document content and the reference to append to its table. */
export interface NewOrder {
  readonly orderId: string
  readonly doc: OrderDoc
  readonly openedAt: Hlc
  readonly businessDate: string
}

/**
 * Starts a new check on a table. Create a document from `doc` (e.g. `repo.create(doc)`), then
 * append it to the table's document with {@link attachOrder}.
 */
export function openOrder(
  ctx: CommandContext,
  input: { tableId: string; guests?: number },
): NewOrder {
  checkInput(input, 'openOrder')
  checkRef(input.tableId, 'tableId')
  check(own(ctx.store.tables, input.tableId) !== undefined, `unknown table ${input.tableId}`)
  if (input.guests !== undefined) checkInt(input.guests, 0, 99, 'guests')
  const orderId = newId()
  const openedAt = ctx.clock.now()
  const date = businessDate(openedAt, ctx.store)
  const doc = initOrderDoc({
    storeId: ctx.store.storeId,
    orderId,
    tableId: input.tableId,
    openedAt,
    openedBy: ctx.deviceId,
    businessDate: date,
    ...(input.guests !== undefined ? { guests: input.guests } : {}),
  })
  return { orderId, doc, openedAt, businessDate: date }
}

/**
 * Appends an order reference to a table document (idempotent: keyed by order id): to `orders`,
 * which every version reads, and to the day's index when the table has it (see
 * `withTableIndex`: a device adds the day's container before this change).
 */
export function attachOrder(table: TableDoc, ref: OrderRef): void {
  check(isId(ref.orderId), 'order id is malformed')
  indexOrder(table, ref)
  if (table.orders[ref.orderId]) return
  append(table.orders, ref.orderId, encode(ref))
}

/** Throws `closed` if the order is closed on this replica: reopen it first. */
export function assertOpen(
  order: Pick<OrderData, 'closes' | 'reopens'> & { cancels?: OrderData['cancels'] },
): void {
  if (isClosedByEvents(order)) {
    throw new TabsyncError(ErrorKind.closed, 'This check is closed. Reopen it first.')
  }
  if (order.cancels && isCancelledByEvents({ cancels: order.cancels, reopens: order.reopens })) {
    throw new TabsyncError(ErrorKind.closed, 'This check was cancelled. Reopen it first.')
  }
}

/** Closes a settled check. Refuses while money is due. */
export function closeOrder(doc: OrderDoc, ctx: CommandContext): string {
  const order = readPresent(doc)
  assertOpen(order)
  const { balance } = orderTotals(order)
  if (balance > 0)
    throw new TabsyncError(ErrorKind.balanceDue, `Balance due: ${balance}`, { balance })
  const id = newId()
  appendEntry(doc.closes, { id, ...stamp(ctx) })
  return id
}

/** Reopens a closed (or cancelled) check, with a reason for the audit trail. */
export function reopenOrder(doc: OrderDoc, ctx: CommandContext, input: { reason: string }): string {
  checkText(input.reason, 200, 'reason', true)
  const order = readOrder(doc)
  check(
    isClosedByEvents(order) || isCancelledByEvents(order),
    'the check is not closed or cancelled',
  )
  // A reopen undoes the close or cancel it saw only if it is later: absorb their times first
  // (the device syncing the order normally did, but a command must not depend on it).
  for (const e of [...Object.values(order.closes), ...Object.values(order.cancels)])
    ctx.clock.receive(e.at)
  const id = newId()
  appendEntry(doc.reopens, { id, reason: input.reason, ...stamp(ctx) })
  return id
}

/**
 * Moves the check to another table. The current table is a descriptive field (last writer wins,
 * concurrent moves are surfaced); the move is also appended for history. Append the order to the
 * destination table's document with {@link attachOrder} as well.
 */
export function moveOrder(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { toTableId: string },
): string {
  checkInput(input, 'moveOrder')
  checkRef(input.toTableId, 'toTableId')
  check(own(ctx.store.tables, input.toTableId) !== undefined, `unknown table ${input.toTableId}`)
  const from = doc.tableId.val
  const id = newId()
  append(
    doc.moves,
    id,
    encode({ id, fromTableId: from, toTableId: input.toTableId, ...stamp(ctx) }),
  )
  setField(doc, 'tableId', encode(input.toTableId))
  return id
}

/** Adds (or with a negative delta removes) guests; concurrent changes add up. */
export function changeGuests(doc: OrderDoc, _ctx: CommandContext, input: { delta: number }): void {
  checkInt(input.delta, -99, 99, 'delta')
  check(doc.guests.value + input.delta >= 0, 'guests cannot go below 0')
  doc.guests.increment(input.delta)
}

/** Sets the check's note (descriptive: last writer wins, concurrent edits are surfaced). */
export function setNote(doc: OrderDoc, _ctx: CommandContext, input: { note: string }): void {
  checkText(input.note, 500, 'note')
  setField(doc, 'note', encode(input.note))
}
