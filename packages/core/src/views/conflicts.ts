import * as A from '@automerge/automerge'
import type { OrderData, OrderDoc } from '../schema/order.js'
import { closedAt } from './line-states.js'
import type { LineState, TicketState } from './line-states.js'
import type { OrderTotals } from './totals.js'
import type { InvariantId } from '../invariants/catalogue.js'
import { MAX_QUANTITY } from '../schema/order.js'
import { isCancelledByEvents } from './line-states.js'
import type { Membership } from './membership.js'

export const ConflictKind = {
  overpaid: 'overpaid',
  changedAfterClose: 'changed-after-close',
  firedTwice: 'fired-twice',
  voidNeedsTicket: 'void-needs-ticket',
  fieldOverwrite: 'field-overwrite',
  quantityBelowOne: 'quantity-below-one',
  quantityAboveMax: 'quantity-above-max',
  removedAfterFire: 'removed-after-fire',
  overRefunded: 'over-refunded',
  changedAfterCancel: 'changed-after-cancel',
  changedAfterTransfer: 'changed-after-transfer',
  twoOpenChecks: 'two-open-checks',
} as const
export type ConflictKind = (typeof ConflictKind)[keyof typeof ConflictKind]

/**
 * Something the merge cannot decide, shown to staff rather than hidden. `id` is deterministic,
 * so every replica lists the same conflicts and a resolution entry names it.
 */
export interface Conflict {
  readonly id: string
  readonly kind: ConflictKind
  readonly message: string
  /** What staff can do about it, by command name. */
  readonly actions: readonly ConflictAction[]
  /** The invariant of the catalogue this conflict names (see `INVARIANTS`). */
  readonly invariant: InvariantId
  readonly lineId?: string
  readonly paymentId?: string
  readonly amount?: number
  readonly field?: string
  readonly values?: readonly string[]
}

export const ConflictAction = {
  refund: 'refund',
  acknowledge: 'acknowledge',
  reopen: 'reopen',
  takePayment: 'take-payment',
  sendVoidTicket: 'send-void-ticket',
  chooseValue: 'choose-value',
  voidLine: 'void-line',
  changeQuantity: 'change-quantity',
  combine: 'combine',
  keepApart: 'keep-apart',
} as const
export type ConflictAction = (typeof ConflictAction)[keyof typeof ConflictAction]

/** A descriptive field two devices overwrote concurrently. */
export interface FieldConflict {
  readonly field: 'note' | 'tableId'
  readonly values: readonly string[]
}

/** Descriptive fields (note, table) with concurrent values; read from the Automerge document. */
export function fieldConflicts(doc: OrderDoc): FieldConflict[] {
  const out: FieldConflict[] = []
  for (const field of ['note', 'tableId'] as const) {
    const all = A.getConflicts(doc, field)
    if (!all || Object.keys(all).length < 2) continue
    const values = Object.values(all)
      .map((v) => (A.isImmutableString(v) ? v.val : String(v)))
      .sort()
    out.push({ field, values })
  }
  return out
}

/**
 * The conflicts of an order that staff still have to review (accepted ones are left out).
 * Deterministic: the same merged order gives the same list on every replica.
 */
export function orderConflicts(
  order: OrderData,
  states: readonly LineState[],
  tickets: readonly TicketState[],
  totals: OrderTotals,
  fields: readonly FieldConflict[] = [],
  moved?: Membership,
): Conflict[] {
  return detectConflicts(order, states, tickets, totals, fields, moved).filter((c) => !c.accepted)
}

/**
 * Every conflict the merged order has, each with `accepted` (a resolution entry names it and
 * its actions include accepting). An accepted conflict still names the invariant it breaks: the
 * invariant catalogue's property checks against this list.
 */
export function detectConflicts(
  order: OrderData,
  states: readonly LineState[],
  tickets: readonly TicketState[],
  totals: OrderTotals,
  fields: readonly FieldConflict[] = [],
  moved?: Membership,
): (Conflict & { readonly accepted: boolean })[] {
  const found: Conflict[] = []
  if (totals.balance < 0) {
    found.push({
      id: `overpaid:${-totals.balance}`,
      kind: 'overpaid',
      message: `Paid ${-totals.balance} more than the total: two payments were probably taken offline.`,
      actions: ['refund', 'acknowledge'],
      invariant: 'no-overpayment',
      amount: -totals.balance,
    })
  }
  const closed = closedAt(order)
  if (closed !== undefined) {
    for (const s of states) {
      if (s.line.at > closed && !s.voided) {
        found.push({
          id: `after-close:${s.line.id}`,
          kind: 'changed-after-close',
          message: `${s.line.name} was added after the check was closed.`,
          actions: ['reopen', 'acknowledge'],
          invariant: 'close-when-settled',
          lineId: s.line.id,
        })
      }
    }
    if (totals.balance > 0) {
      // Not acceptable as it is: a closed check with money due is a walk-out. Reopen, then pay.
      found.push({
        id: `after-close-balance:${totals.balance}`,
        kind: 'changed-after-close',
        message: `The check is closed but ${totals.balance} is due.`,
        actions: ['reopen'],
        invariant: 'close-when-settled',
        amount: totals.balance,
      })
    }
  }
  if (isCancelledByEvents(order)) {
    const active = states.filter((s) => !s.voided && s.quantity > 0).length
    const payments = Object.keys(order.payments).length
    if (active > 0 || payments > 0) {
      found.push({
        id: `after-cancel:${active}:${payments}`,
        kind: 'changed-after-cancel',
        message: `The check was cancelled while another device added ${active} line(s) and ${payments} payment(s).`,
        actions: ['reopen'],
        invariant: 'cancel-only-empty',
      })
    }
  }
  for (const s of states) {
    if (s.voided) continue
    if (s.rawQuantity > MAX_QUANTITY) {
      found.push({
        id: `quantity-above-max:${s.line.id}:${s.rawQuantity}`,
        kind: 'quantity-above-max',
        message: `${s.line.name}: devices together asked for ${s.rawQuantity}; billed as ${MAX_QUANTITY}.`,
        actions: ['change-quantity', 'acknowledge'],
        invariant: 'quantity-at-most-max',
        lineId: s.line.id,
        amount: s.rawQuantity,
      })
    } else if (s.quantity < 1) {
      found.push({
        id: `quantity-below-one:${s.line.id}:${s.rawQuantity}`,
        kind: 'quantity-below-one',
        message: `${s.line.name} was taken down to ${s.rawQuantity} on two devices: void it or set a quantity.`,
        actions: ['void-line', 'change-quantity'],
        invariant: 'quantity-at-least-one',
        lineId: s.line.id,
        amount: s.rawQuantity,
      })
    } else if (s.rawQuantity < s.fired) {
      found.push({
        id: `removed-after-fire:${s.line.id}:${s.rawQuantity}`,
        kind: 'removed-after-fire',
        message: `${s.line.name}: ${s.fired} went to the kitchen while another device took it down to ${s.rawQuantity}; billed as ${s.fired}.`,
        actions: ['acknowledge', 'void-line'],
        invariant: 'quantity-at-least-fired',
        lineId: s.line.id,
        amount: s.rawQuantity,
      })
    }
  }
  const refunded = new Map<string, number>()
  for (const r of Object.values(order.refunds))
    refunded.set(r.paymentId, (refunded.get(r.paymentId) ?? 0) + r.amount)
  for (const [paymentId, amount] of [...refunded].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = Object.hasOwn(order.payments, paymentId) ? order.payments[paymentId] : undefined
    if (!p || amount <= p.amount) continue
    found.push({
      id: `over-refunded:${paymentId}:${amount}`,
      kind: 'over-refunded',
      message: `A payment of ${p.amount} was refunded ${amount} in all, from two devices; ${amount - p.amount} more than it. Counted as refunded once: check the drawer or card terminal.`,
      actions: ['acknowledge'],
      invariant: 'refund-at-most-payment',
      paymentId,
      amount: amount - p.amount,
    })
  }
  const twice = new Set<string>()
  const present = new Set(states.map((s) => s.line.id))
  for (const t of tickets) {
    if (t.ticket.kind !== 'fire' || !t.overlaps) continue
    for (const i of t.items) {
      if (i.effectiveQuantity === i.item.quantity || twice.has(i.item.lineId)) continue
      if (!present.has(i.item.lineId)) continue
      twice.add(i.item.lineId)
      found.push({
        id: `fired-twice:${i.item.lineId}`,
        kind: 'fired-twice',
        message: `${i.item.name} was fired from two devices; the kitchen prints it once.`,
        actions: ['acknowledge'],
        invariant: 'fired-once',
        lineId: i.item.lineId,
      })
    }
  }
  for (const s of states) {
    if (s.voided && s.fired > 0 && !s.voidSent) {
      found.push({
        id: `void-ticket:${s.line.id}`,
        kind: 'void-needs-ticket',
        message: `${s.line.name} was voided after it was fired: the kitchen needs a VOID ticket.`,
        actions: ['send-void-ticket'],
        invariant: 'void-reaches-kitchen',
        lineId: s.line.id,
      })
    }
  }
  if (moved) found.push(...transferConflicts(moved))
  for (const f of fields) {
    found.push({
      id: `field:${f.field}:${f.values.join('|')}`,
      kind: 'field-overwrite',
      message: `Two devices changed the ${f.field === 'tableId' ? 'table' : f.field} at once.`,
      actions: ['choose-value'],
      invariant: 'one-value-per-field',
      field: f.field,
      values: f.values,
    })
  }
  const resolved = new Set(Object.values(order.resolutions).map((r) => r.conflictId))
  return found.map((c) => ({
    ...c,
    accepted: c.actions.includes('acknowledge') && resolved.has(c.id),
  }))
}

/**
 * Work done on this order's copy of a line after another device moved the line to another
 * check: a quantity change, a void or an adjustment that the check now holding the line does
 * not have. Named, never silently dropped.
 */
function transferConflicts(moved: Membership): Conflict[] {
  const order = moved.full
  const out: Conflict[] = []
  for (const [lineId, t] of [...moved.movedLines].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const line = order.lines[lineId]
    if (!line) continue
    const seen = t.quantities[lineId]
    const late =
      Object.values(order.voids).filter((v) => v.lineId === lineId && !t.voidIds.includes(v.id))
        .length +
      Object.values(order.adjustments).filter(
        (a) => a.lineId === lineId && !t.adjustmentIds.includes(a.id),
      ).length
    if ((seen !== undefined && seen !== line.quantity) || late > 0) {
      out.push({
        id: `after-transfer:${lineId}:${line.quantity}:${late}`,
        kind: 'changed-after-transfer',
        message: `${line.name} was changed here after it moved to another check: make the change there too.`,
        actions: ['acknowledge'],
        invariant: 'transfer-counts-once',
        lineId,
      })
    }
  }
  for (const [paymentId, t] of [...moved.movedPayments].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const late = Object.values(order.refunds).filter(
      (r) => r.paymentId === paymentId && !t.refundIds.includes(r.id),
    )
    if (late.length === 0) continue
    out.push({
      id: `refund-after-transfer:${paymentId}:${late.length}`,
      kind: 'changed-after-transfer',
      message: `A payment was refunded here after it moved to another check: refund it there too.`,
      actions: ['acknowledge'],
      invariant: 'transfer-counts-once',
      paymentId,
      amount: late.reduce((sum, r) => sum + r.amount, 0),
    })
  }
  return out
}
