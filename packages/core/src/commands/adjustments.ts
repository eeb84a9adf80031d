import { TabsyncError, ErrorKind, check } from '../errors.js'
import { readPresent } from '../views/membership.js'
import { newId } from '../ids.js'
import type { Adjustment, AdjustmentKind, OrderDoc } from '../schema/order.js'
import { BASIS_POINTS } from '../money/money.js'
import {
  appendEntry,
  checkInput,
  checkInt,
  checkRef,
  checkText,
  own,
  stamp,
  type CommandContext,
} from './context.js'
import { assertOpen } from './order-lifecycle.js'

export interface AdjustmentInput {
  readonly kind: AdjustmentKind
  /** The line it applies to; omit for the whole check. */
  readonly lineId?: string
  /** Percent in basis points (1000 = 10%). */
  readonly percentBasisPoints?: number
  /** Fixed amount in minor units. */
  readonly amount?: number
  readonly reason: string
}

/**
 * Adds a discount or comp with a reason, on a line or the whole check: a percentage or an
 * amount. A comp with neither is the whole line (or check). Returns the entry id.
 */
export function addAdjustment(doc: OrderDoc, ctx: CommandContext, input: AdjustmentInput): string {
  checkInput(input, 'addAdjustment')
  if (input.lineId !== undefined) checkRef(input.lineId, 'lineId')
  check(input.kind === 'discount' || input.kind === 'comp', 'kind must be discount or comp')
  checkText(input.reason, 200, 'reason', true)
  const hasPercent = input.percentBasisPoints !== undefined
  const hasAmount = input.amount !== undefined
  check(!(hasPercent && hasAmount), 'give a percentage or an amount, not both')
  check(
    hasPercent || hasAmount || input.kind === 'comp',
    'a discount needs a percentage or an amount',
  )
  if (hasPercent) checkInt(input.percentBasisPoints, 1, BASIS_POINTS, 'percentBasisPoints')
  if (hasAmount) checkInt(input.amount, 1, 100_000_000, 'amount')
  const order = readPresent(doc)
  assertOpen(order)
  if (input.lineId !== undefined) {
    if (!own(order.lines, input.lineId))
      throw new TabsyncError(ErrorKind.notFound, `unknown line ${input.lineId}`)
    const voided = Object.values(order.voids).some((v) => v.lineId === input.lineId)
    if (voided) throw new TabsyncError(ErrorKind.voided, 'that line is voided')
  }
  const id = newId()
  const entry: Adjustment = {
    id,
    kind: input.kind,
    lineId: input.lineId ?? null,
    percentBasisPoints: input.percentBasisPoints ?? null,
    amount: input.amount ?? null,
    reason: input.reason,
    ...stamp(ctx),
  }
  appendEntry(doc.adjustments, entry)
  return id
}
