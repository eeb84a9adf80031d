import * as A from '@automerge/automerge'
import type { OrderData, OrderDoc } from '../schema/order.js'
import { closedAt } from './line-states.js'
import type { LineState, TicketState } from './line-states.js'
import type { OrderTotals } from './totals.js'

export const ConflictKind = {
  overpaid: 'overpaid',
  changedAfterClose: 'changed-after-close',
  firedTwice: 'fired-twice',
  voidNeedsTicket: 'void-needs-ticket',
  fieldOverwrite: 'field-overwrite',
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
  readonly lineId?: string
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
 * The conflicts of an order that staff still have to review (resolved ones are left out).
 * Deterministic: the same merged order gives the same list on every replica.
 */
export function orderConflicts(
  order: OrderData,
  states: readonly LineState[],
  tickets: readonly TicketState[],
  totals: OrderTotals,
  fields: readonly FieldConflict[] = [],
): Conflict[] {
  const found: Conflict[] = []
  if (totals.balance < 0) {
    found.push({
      id: `overpaid:${-totals.balance}`,
      kind: 'overpaid',
      message: `Paid ${-totals.balance} more than the total: two payments were probably taken offline.`,
      actions: ['refund', 'acknowledge'],
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
          actions: ['reopen', 'take-payment'],
          lineId: s.line.id,
        })
      }
    }
    if (totals.balance > 0) {
      found.push({
        id: `after-close-balance:${totals.balance}`,
        kind: 'changed-after-close',
        message: `The check is closed but ${totals.balance} is due.`,
        actions: ['take-payment', 'reopen'],
        amount: totals.balance,
      })
    }
  }
  const twice = new Set<string>()
  for (const t of tickets) {
    if (t.ticket.kind !== 'fire' || !t.overlaps) continue
    for (const i of t.items) {
      if (i.effectiveQuantity === i.item.quantity || twice.has(i.item.lineId)) continue
      twice.add(i.item.lineId)
      found.push({
        id: `fired-twice:${i.item.lineId}`,
        kind: 'fired-twice',
        message: `${i.item.name} was fired from two devices; the kitchen prints it once.`,
        actions: ['acknowledge'],
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
        lineId: s.line.id,
      })
    }
  }
  for (const f of fields) {
    found.push({
      id: `field:${f.field}:${f.values.join('|')}`,
      kind: 'field-overwrite',
      message: `Two devices changed the ${f.field === 'tableId' ? 'table' : f.field} at once.`,
      actions: ['choose-value'],
      field: f.field,
      values: f.values,
    })
  }
  const resolved = new Set(Object.values(order.resolutions).map((r) => r.conflictId))
  return found.filter((c) => !resolved.has(c.id))
}
