import { check } from '../errors.js'
import { newId } from '../ids.js'
import type { OrderDoc } from '../schema/order.js'
import { appendEntry, checkText, stamp, type CommandContext } from './context.js'

/**
 * Staff reviewed a conflict and accept it as it is (e.g. "fired twice: kitchen confirmed one
 * plate"). Conflicts with a corrective action (refund, VOID ticket, reopen) clear themselves
 * when that action is taken instead.
 */
export function resolveConflict(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { conflictId: string; note?: string },
): string {
  check(
    typeof input.conflictId === 'string' &&
      input.conflictId.length > 0 &&
      input.conflictId.length < 500,
    'conflictId is required',
  )
  const note = input.note ?? ''
  checkText(note, 200, 'note')
  const id = newId()
  appendEntry(doc.resolutions, { id, conflictId: input.conflictId, note, ...stamp(ctx) })
  return id
}
