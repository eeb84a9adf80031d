import { ErrorKind, TabsyncError, check } from '../errors.js'
import { newId } from '../ids.js'
import type { OrderDoc } from '../schema/order.js'
import { readPresent } from '../views/membership.js'
import { lineStates } from '../views/line-states.js'
import { appendEntry, checkInput, checkText, stamp, type CommandContext } from './context.js'
import { assertOpen } from './order-lifecycle.js'

/**
 * Cancels an empty check (opened by mistake, or on the wrong table): a `cancel` entry; the check
 * leaves the floor and reports count it as cancelled, not open. Refuses while it has a line that
 * is not voided or a payment. If another device adds one meanwhile, the merge shows a
 * `changed-after-cancel` conflict, and `reopenOrder` brings the check back.
 *
 * @throws TabsyncError `invalid-input` when the check is not empty or was opened by a version
 *   without cancel entries, `closed` when it is closed or already cancelled.
 */
export function cancelOrder(
  doc: OrderDoc,
  ctx: CommandContext,
  input: { reason?: string } = {},
): string {
  checkInput(input, 'cancelOrder')
  const reason = input.reason ?? ''
  checkText(reason, 200, 'reason')
  requireMap(doc, 'cancels')
  const order = readPresent(doc)
  assertOpen(order)
  const lines = lineStates(order).filter((s) => !s.voided && s.quantity > 0).length
  const payments = Object.keys(order.payments).length
  check(
    lines === 0 && payments === 0,
    `Only an empty check can be cancelled: this one has ${lines} line(s) and ${payments} payment(s).`,
  )
  const id = newId()
  appendEntry(doc.cancels, { id, reason, ...stamp(ctx) })
  return id
}

/**
 * Refuses to write an entry map a document from before it existed lacks: two devices creating
 * the map at once would each make their own, and the merge would keep only one of them (with its
 * entries). Such documents get the map from the order schema 2 migration (`migrate`), not from a
 * command.
 */
export function requireMap(doc: OrderDoc, map: 'cancels' | 'transfers'): void {
  if (doc[map] === undefined) {
    throw new TabsyncError(
      ErrorKind.invalidInput,
      `This check was opened by an older version without ${map}: update it first.`,
    )
  }
}
