import { ErrorKind, TabsyncError, check } from '../errors.js'
import { newId } from '../ids.js'
import type { OrderDoc } from '../schema/order.js'
import { summarizeOrder } from '../views/order-summary.js'
import type { TableFork } from '../views/table-forks.js'
import { appendEntry, checkInput, checkText, stamp, type CommandContext } from './context.js'

/**
 * Staff reviewed a conflict and accept it as it is (e.g. "fired twice: kitchen confirmed one
 * plate"). Only a conflict this check has now, and only one whose actions include
 * `acknowledge`: a closed check with money due cannot be accepted (reopen it), and an id that
 * does not exist yet cannot be resolved in advance (`overpaid:500` accepted before any payment
 * would hide a later real double payment). Conflicts with a corrective action (refund, VOID
 * ticket, reopen) clear themselves when that action is taken instead ({@link fixConflict}).
 *
 * @throws TabsyncError `not-found` when the check has no such open conflict now, `conflict`
 *   when the conflict cannot be accepted as it is.
 */
export function resolveConflict(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { conflictId: string; note?: string },
): string {
  checkInput(input, 'resolveConflict')
  checkText(input.conflictId, 500, 'conflictId', true)
  const note = input.note ?? ''
  checkText(note, 200, 'note')
  const conflict = summarizeOrder(doc).conflicts.find((c) => c.id === input.conflictId)
  if (!conflict) {
    throw new TabsyncError(
      ErrorKind.notFound,
      `This check has no open conflict ${input.conflictId} now.`,
      { conflictId: input.conflictId },
    )
  }
  if (!conflict.actions.includes('acknowledge')) {
    throw new TabsyncError(
      ErrorKind.conflict,
      `${conflict.message} It cannot be accepted as it is: ${conflict.actions.join(' or ')}.`,
      { conflictId: conflict.id, actions: conflict.actions },
    )
  }
  const id = newId()
  appendEntry(doc.resolutions, { id, conflictId: input.conflictId, note, ...stamp(ctx) })
  return id
}

/**
 * Staff keep two checks on one table apart on purpose (two parties at one table): a resolution
 * naming the fork on this check (append it to any one check of the fork). A check opened on the
 * table later makes a new fork with a new id, flagged again.
 *
 * @throws TabsyncError `invalid-input` when `fork` is not a table fork that includes this check.
 */
export function keepChecksApart(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { fork: Pick<TableFork, 'id' | 'orderIds' | 'actions'>; note?: string },
): string {
  checkInput(input, 'keepChecksApart')
  checkInput(input.fork, 'keepChecksApart fork')
  const note = input.note ?? 'kept apart on purpose'
  checkText(note, 200, 'note')
  const { fork } = input
  const orderId = doc.orderId.val
  check(
    typeof fork.id === 'string' &&
      fork.id.startsWith('table-fork:') &&
      Array.isArray(fork.orderIds) &&
      fork.orderIds.includes(orderId) &&
      Array.isArray(fork.actions) &&
      fork.actions.includes('keep-apart'),
    'keepChecksApart needs a table fork (from tableForks) that includes this check',
  )
  const id = newId()
  appendEntry(doc.resolutions, { id, conflictId: fork.id, note, ...stamp(ctx) })
  return id
}
