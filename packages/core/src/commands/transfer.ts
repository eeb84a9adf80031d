import { ErrorKind, TabsyncError, check } from '../errors.js'
import { newId } from '../ids.js'
import { asCounter } from '../schema/encoding.js'
import { readOrder, type OrderDoc, type StoredEntry, type Transfer } from '../schema/order.js'
import { membership } from '../views/membership.js'
import { appendEntry, checkInput, checkRef, own, stamp, type CommandContext } from './context.js'
import { assertOpen } from './order-lifecycle.js'
import { requireMap } from './cancel.js'

export interface TransferInput {
  /** Move only these lines (with their voids, line adjustments and tickets); omit to combine
   * the whole check: every line, adjustment, payment and refund. */
  readonly lineIds?: readonly string[]
}

/**
 * Combines two checks, or moves lines from one check to another: appends one transfer entry on
 * both documents (`out` on `source`, `in` on `target`, same id) and copies the moved entries into
 * the target's maps under their original ids. Call it with both documents inside their changes
 * (`hSource.change((s) => hTarget.change((t) => transferOrder(s, t, ctx)))`).
 *
 * Idempotent and safe on two devices at once: what already left the source is not moved again,
 * and two devices moving the same entry both record `out` for it on the source and write the
 * same copy (same id, same content) on the target, so every view and report counts it once.
 * Payments keep their key; on the target they pay the whole order (check 0).
 *
 * @returns the transfer id, or `null` when there was nothing left to move.
 * @throws TabsyncError `invalid-input` for the same order twice or another store's order,
 *   `not-found` for a line not on the source, `closed` when either check is closed or cancelled.
 */
export function transferOrder(
  source: OrderDoc,
  target: OrderDoc,
  ctx: CommandContext,
  input: TransferInput = {},
): string | null {
  checkInput(input, 'transferOrder')
  requireMap(source, 'transfers')
  requireMap(target, 'transfers')
  const from = membership(readOrder(source)).present
  const to = membership(readOrder(target)).present
  check(from.orderId !== to.orderId, 'a check cannot be combined with itself')
  check(from.storeId === to.storeId, 'the two checks belong to different stores')
  assertOpen(from)
  assertOpen(to)
  const whole = input.lineIds === undefined
  if (!whole) {
    check(Array.isArray(input.lineIds), 'lineIds must be a list of line ids')
    for (const id of input.lineIds ?? []) {
      checkRef(id, 'lineId')
      if (!own(from.lines, id)) {
        throw new TabsyncError(
          ErrorKind.notFound,
          `line ${id} is not on this check (moved or unknown)`,
        )
      }
    }
  }
  const lines = new Set(whole ? Object.keys(from.lines) : input.lineIds)
  const onMoved = (lineId: string | null) => lineId !== null && lines.has(lineId)
  const adjustments = Object.values(from.adjustments).filter((a) => whole || onMoved(a.lineId))
  const payments = whole ? Object.values(from.payments) : []
  const paid = new Set(payments.map((p) => p.id))
  const refunds = Object.values(from.refunds).filter((r) => paid.has(r.paymentId))
  const voids = Object.values(from.voids).filter((v) => onMoved(v.lineId))
  // Tickets that cook a moved line go along (or the target would fire them again); the source
  // keeps a ticket that also names a line it keeps.
  const tickets = Object.values(from.tickets).filter((t) =>
    t.items.some((i) => lines.has(i.lineId)),
  )
  const ticketsOut = tickets.filter((t) => t.items.every((i) => lines.has(i.lineId)))
  // Nothing left to move: done already, unless this is combining an empty check, which still
  // records the transfer so the empty check leaves the floor as combined.
  const combinedBefore = Object.values(from.transfers).some((t) => t.direction === 'out')
  if (lines.size + adjustments.length + payments.length === 0 && (!whole || combinedBefore))
    return null

  const id = newId()
  const base = {
    orderId: '',
    lineIds: [...lines].sort(),
    adjustmentIds: adjustments.map((a) => a.id).sort(),
  }
  const entry = (
    direction: Transfer['direction'],
    orderId: string,
    ticketIds: string[],
  ): Transfer => ({
    id,
    direction,
    ...base,
    orderId,
    paymentIds: [...paid].sort(),
    refundIds: refunds.map((r) => r.id).sort(),
    voidIds: voids.map((v) => v.id).sort(),
    ticketIds: ticketIds.sort(),
    quantities:
      direction === 'out'
        ? Object.fromEntries([...lines].map((l) => [l, from.lines[l]?.quantity ?? 0]))
        : {},
    ...stamp(ctx),
  })
  // Copies first, under their original ids, left alone if the target already has them (a line
  // moved away and back, or a second device's identical copy).
  const copy = <E extends { readonly id: string }>(
    map: Readonly<Record<string, StoredEntry<E>>>,
    entries: readonly E[],
  ) => {
    for (const e of entries) if (!Object.hasOwn(map, e.id)) appendEntry(map, e)
  }
  copy(
    target.lines,
    [...lines].flatMap((l) => {
      const line = from.lines[l]
      return line ? [{ ...line, quantity: asCounter(line.quantity) }] : []
    }),
  )
  copy(target.adjustments, adjustments)
  copy(
    target.payments,
    payments.map((p) => ({ ...p, check: 0 })),
  )
  copy(target.refunds, refunds)
  copy(target.voids, voids)
  copy(target.tickets, tickets)
  const ticketIds = new Set(tickets.map((t) => t.id))
  const full = readOrder(source)
  copy(
    target.prints,
    Object.values(full.prints).filter((p) => ticketIds.has(p.ticketId)),
  )
  copy(
    target.bumps,
    Object.values(full.bumps).filter((b) => ticketIds.has(b.ticketId)),
  )
  appendEntry(
    source.transfers,
    entry(
      'out',
      to.orderId,
      ticketsOut.map((t) => t.id),
    ),
  )
  appendEntry(
    target.transfers,
    entry(
      'in',
      from.orderId,
      tickets.map((t) => t.id),
    ),
  )
  return id
}
