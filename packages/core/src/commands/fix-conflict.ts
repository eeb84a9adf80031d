import { ErrorKind, TabsyncError, check } from '../errors.js'
import { newId } from '../ids.js'
import { encode } from '../schema/encoding.js'
import { MAX_QUANTITY, type OrderDoc } from '../schema/order.js'
import type { ConflictAction } from '../views/conflicts.js'
import { summarizeOrder } from '../views/order-summary.js'
import { refundedByPayment } from '../views/totals.js'
import { compareEntries } from '../views/entries.js'
import {
  appendEntry,
  checkInput,
  checkText,
  own,
  setField,
  stamp,
  type CommandContext,
} from './context.js'
import { appendVoidTicket, sendVoidTicket } from './kitchen.js'
import { reopenOrder } from './order-lifecycle.js'
import { resolveConflict } from './resolve.js'

export interface FixConflictInput {
  readonly conflictId: string
  /** One of the conflict's `actions`. */
  readonly action: ConflictAction
  /** For `choose-value`: the value to keep (one of the conflict's `values`). */
  readonly value?: string
  /** Why, for the audit trail (reopen, void, refund reasons). */
  readonly reason?: string
}

/**
 * Applies one of the actions a conflict offers, as appended entries on this device: accept it
 * (a resolution), refund an overpayment (refunds, latest payments first), reopen, send the VOID
 * ticket, void the line, change its quantity back into range, or choose a field's value. After
 * it the conflict is gone on every replica that merges the change. A line fix is allowed on a
 * closed check: it corrects what the merge did, and any balance it changes is flagged again.
 * Combining two checks on a table is {@link transferOrder}; keeping them apart is
 * {@link keepChecksApart}.
 *
 * @returns the ids of the entries appended.
 * @throws TabsyncError `not-found` when the check has no such open conflict now, `invalid-input`
 *   when the action is not one it offers.
 */
export function fixConflict(doc: OrderDoc, ctx: CommandContext, input: FixConflictInput): string[] {
  checkInput(input, 'fixConflict')
  checkText(input.conflictId, 500, 'conflictId', true)
  const reason = input.reason ?? 'fixed in review after a merge'
  checkText(reason, 200, 'reason', true)
  const summary = summarizeOrder(doc)
  const c = summary.conflicts.find((x) => x.id === input.conflictId)
  if (!c) {
    throw new TabsyncError(
      ErrorKind.notFound,
      `This check has no open conflict ${input.conflictId} now.`,
    )
  }
  check(
    c.actions.includes(input.action),
    `${input.action} does not fix this conflict; it offers ${c.actions.join(', ')}`,
  )
  const line =
    c.lineId !== undefined ? summary.lines.find((l) => l.line.id === c.lineId) : undefined
  switch (input.action) {
    case 'acknowledge':
      return [resolveConflict(doc, ctx, { conflictId: c.id, note: reason })]
    case 'reopen':
      return [reopenOrder(doc, ctx, { reason })]
    case 'send-void-ticket':
      return [sendVoidTicket(doc, ctx, { lineId: c.lineId ?? '' })]
    case 'refund': {
      // The overpaid amount, from the latest payments first (the duplicate is usually the later).
      let left = c.amount ?? 0
      const refunded = refundedByPayment(summary.order)
      const ids: string[] = []
      for (const p of Object.values(summary.order.payments).sort(compareEntries).reverse()) {
        const take = Math.min(left, p.amount - (refunded.get(p.id) ?? 0))
        if (take <= 0) continue
        const id = newId()
        appendEntry(doc.refunds, { id, paymentId: p.id, amount: take, reason, ...stamp(ctx) })
        ids.push(id)
        left -= take
        if (left === 0) break
      }
      return ids
    }
    case 'void-line': {
      check(line !== undefined, 'this conflict is not about a line')
      const id = newId()
      appendEntry(doc.voids, { id, lineId: line.line.id, reason, ...stamp(ctx) })
      if (line.fired > 0) appendVoidTicket(doc, ctx, summary.order, line)
      return [id]
    }
    case 'change-quantity': {
      check(line !== undefined, 'this conflict is not about a line')
      const target = line.rawQuantity > MAX_QUANTITY ? MAX_QUANTITY : Math.max(1, line.fired)
      own(doc.lines, line.line.id)?.quantity.increment(target - line.rawQuantity)
      return []
    }
    case 'choose-value': {
      check(c.field === 'note' || c.field === 'tableId', 'this conflict has no value to choose')
      const value = input.value ?? c.values?.[0] ?? ''
      check(c.values?.includes(value) === true, `choose one of ${c.values?.join(', ') ?? ''}`)
      setField(doc, c.field, encode(value))
      return []
    }
    default:
      throw new TabsyncError(
        ErrorKind.invalidInput,
        `${input.action} is done with its own command (transferOrder, keepChecksApart)`,
      )
  }
}
