import { TabsyncError, ErrorKind, check } from '../errors.js'
import { newId } from '../ids.js'
import type { OrderDoc, SplitPlan } from '../schema/order.js'
import { appendEntry, checkInput, checkInt, own, stamp, type CommandContext } from './context.js'

export type SplitInput =
  | { readonly mode: 'none' }
  | { readonly mode: 'seat' }
  | { readonly mode: 'even'; readonly parts: number }
  | {
      readonly mode: 'item'
      readonly parts: number
      readonly assignments: Readonly<Record<string, number>>
    }

/**
 * Splits the check: by seat, by item (line id -> check number), evenly into N, or back to one.
 * The latest plan decides; payments name the check they pay.
 */
export function splitCheck(doc: OrderDoc, ctx: CommandContext, input: SplitInput): string {
  checkInput(input, 'splitCheck')
  let parts = 1
  let assignments: Record<string, number> = {}
  switch (input.mode) {
    case 'none':
    case 'seat':
      break
    case 'even':
      checkInt(input.parts, 2, 50, 'parts')
      parts = input.parts
      break
    case 'item':
      checkInt(input.parts, 2, 50, 'parts')
      parts = input.parts
      check(
        typeof input.assignments === 'object' && input.assignments !== null,
        'assignments must map line ids to check numbers',
      )
      for (const [lineId, n] of Object.entries(input.assignments)) {
        if (!own(doc.lines, lineId))
          throw new TabsyncError(ErrorKind.notFound, `unknown line ${lineId}`)
        checkInt(n, 1, parts, 'check number')
      }
      assignments = { ...input.assignments }
      break
    default:
      check(false, 'mode must be none, seat, even or item')
  }
  const id = newId()
  const plan: SplitPlan = { id, mode: input.mode, parts, assignments, ...stamp(ctx) }
  appendEntry(doc.splits, plan)
  return id
}
