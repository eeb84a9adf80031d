import * as A from '@automerge/automerge'
import fc from 'fast-check'
import {
  addAdjustment,
  addLine,
  changeGuests,
  changeQuantity,
  closeOrder,
  fire,
  holdCourse,
  isTabsyncError,
  moveOrder,
  newId,
  refund,
  reopenOrder,
  sendVoidTicket,
  setNote,
  splitCheck,
  takePayment,
  voidLine,
  type CommandContext,
  type OrderDoc,
  readOrder,
} from '../src/index.js'
import { orderTotals } from '../src/internal.js'

/*
 * Random dinner-service operations for property tests. An op names things by index ("the
 * 3rd line this replica can see"), so the same op makes sense on any replica's state.
 */

/** Menu items the random operations order, by index. */
export const ITEMS = [
  'spritz',
  'beer',
  'burger',
  'steak',
  'fries',
  'tiramisu',
  'soup',
  'pizza',
  'water',
  'salmon',
]
const MODS: Record<string, { groupId: string; optionId: string }[]> = {
  burger: [
    { groupId: 'cooking', optionId: 'medium' },
    { groupId: 'burger-extra', optionId: 'cheese' },
  ],
  steak: [
    { groupId: 'cooking', optionId: 'rare' },
    { groupId: 'side', optionId: 'mash' },
  ],
}

export type Op =
  | { kind: 'add'; item: number; quantity: number; seat: number; course: number }
  | { kind: 'quantity'; line: number; delta: number }
  | { kind: 'void'; line: number }
  | { kind: 'fire'; course: number }
  | { kind: 'hold'; course: number; held: boolean }
  | {
      kind: 'discount'
      line: number
      percent: number
      amount: number
      comp: boolean
      wholeCheck: boolean
    }
  | { kind: 'split'; mode: 'none' | 'seat' | 'even' | 'item'; parts: number }
  | { kind: 'pay'; fraction: number; tender: 'cash' | 'card'; tip: number; check: number }
  | { kind: 'refund'; payment: number; fraction: number }
  | { kind: 'close' }
  | { kind: 'reopen' }
  | { kind: 'move'; table: number }
  | { kind: 'guests'; delta: number }
  | { kind: 'note'; text: string }
  | { kind: 'voidTicket'; line: number }

const pick = fc.nat({ max: 30 })

/** Any operation of the whole command set. */
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      item: fc.nat({ max: ITEMS.length - 1 }),
      quantity: fc.integer({ min: 1, max: 3 }),
      seat: fc.nat({ max: 4 }),
      course: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('quantity' as const),
      line: pick,
      delta: fc.constantFrom(-2, -1, 1, 2),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), line: pick }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('fire' as const), course: fc.nat({ max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      course: fc.integer({ min: 1, max: 3 }),
      held: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('discount' as const),
      line: pick,
      percent: fc.integer({ min: 0, max: 10000 }),
      amount: fc.integer({ min: 1, max: 3000 }),
      comp: fc.boolean(),
      wholeCheck: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('split' as const),
      mode: fc.constantFrom('none' as const, 'seat' as const, 'even' as const, 'item' as const),
      parts: fc.integer({ min: 2, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      fraction: fc.double({ min: 0.1, max: 1, noNaN: true }),
      tender: fc.constantFrom('cash' as const, 'card' as const),
      tip: fc.nat({ max: 500 }),
      check: fc.nat({ max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      payment: pick,
      fraction: fc.double({ min: 0.1, max: 1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('move' as const), table: fc.nat({ max: 5 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('guests' as const),
      delta: fc.constantFrom(-1, 1, 2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('note' as const),
      text: fc.constantFrom('allergy: nuts', 'birthday', 'window seat', ''),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('voidTicket' as const), line: pick }) },
)

/** What a successful op created, so no-loss can be checked after merging. */
export interface Created {
  readonly map: 'lines' | 'payments' | 'tickets' | 'adjustments' | 'voids' | 'refunds'
  readonly id: string
}

const at = <T>(xs: readonly T[], i: number): T | undefined =>
  xs.length === 0 ? undefined : xs[i % xs.length]

/**
 * Applies `op` to `doc` as device `ctx`. Returns the new doc and what it created; an op the
 * current state does not allow throws a TabsyncError inside the change, which leaves the
 * document unchanged (checked here), and is reported as `rejected`.
 */
export function applyOp(
  doc: OrderDoc,
  ctx: CommandContext,
  op: Op,
): { doc: OrderDoc; created: Created[]; rejected: boolean } {
  const order = readOrder(doc)
  const lineIds = Object.keys(order.lines).sort()
  const created: Created[] = []
  const before = A.getHeads(doc)
  try {
    const next = A.change(doc, (d) => {
      switch (op.kind) {
        case 'add': {
          const itemId = ITEMS[op.item] as string
          const id = addLine(d, ctx, {
            itemId,
            quantity: op.quantity,
            seat: op.seat === 0 ? null : op.seat,
            course: op.course,
            modifiers: MODS[itemId] ?? [],
          })
          created.push({ map: 'lines', id })
          break
        }
        case 'quantity':
          changeQuantity(d, ctx, { lineId: at(lineIds, op.line) ?? 'none', delta: op.delta })
          break
        case 'void':
          created.push({
            map: 'voids',
            id: voidLine(d, ctx, {
              lineId: at(lineIds, op.line) ?? 'none',
              reason: 'guest changed mind',
            }),
          })
          break
        case 'fire':
          for (const id of fire(d, ctx, op.course === 0 ? {} : { course: op.course }))
            created.push({ map: 'tickets', id })
          break
        case 'hold':
          holdCourse(d, ctx, { course: op.course, held: op.held })
          break
        case 'discount': {
          const lineId = op.wholeCheck ? undefined : (at(lineIds, op.line) ?? 'none')
          const value =
            op.comp && op.percent % 2 === 0
              ? {}
              : op.percent % 3 === 0
                ? { amount: op.amount }
                : { percentBasisPoints: Math.max(1, op.percent) }
          created.push({
            map: 'adjustments',
            id: addAdjustment(d, ctx, {
              kind: op.comp ? 'comp' : 'discount',
              reason: 'manager',
              ...(lineId ? { lineId } : {}),
              ...value,
            }),
          })
          break
        }
        case 'split':
          if (op.mode === 'item') {
            splitCheck(d, ctx, {
              mode: 'item',
              parts: op.parts,
              assignments: Object.fromEntries(lineIds.map((id, i) => [id, (i % op.parts) + 1])),
            })
          } else if (op.mode === 'even') {
            splitCheck(d, ctx, { mode: 'even', parts: op.parts })
          } else {
            splitCheck(d, ctx, { mode: op.mode })
          }
          break
        case 'pay': {
          const totals = orderTotals(order)
          const due = op.check === 0 ? totals.balance : (totals.checks[op.check - 1]?.balance ?? 0)
          const amount = Math.max(1, Math.floor(due * op.fraction))
          created.push({
            map: 'payments',
            id: takePayment(d, ctx, {
              key: newId(),
              tender: op.tender,
              amount,
              tip: op.tip,
              check: op.check,
            }),
          })
          break
        }
        case 'refund': {
          const payments = Object.values(order.payments).sort((a, b) => (a.id < b.id ? -1 : 1))
          const p = at(payments, op.payment)
          created.push({
            map: 'refunds',
            id: refund(d, ctx, {
              paymentId: p?.id ?? 'none',
              amount: Math.max(1, Math.floor((p?.amount ?? 0) * op.fraction)),
              reason: 'complaint',
            }),
          })
          break
        }
        case 'close':
          closeOrder(d, ctx)
          break
        case 'reopen':
          reopenOrder(d, ctx, { reason: 'forgot dessert' })
          break
        case 'move':
          moveOrder(d, ctx, { toTableId: `t${op.table + 1}` })
          break
        case 'guests':
          changeGuests(d, ctx, { delta: op.delta })
          break
        case 'note':
          setNote(d, ctx, { note: op.text })
          break
        case 'voidTicket':
          created.push({
            map: 'tickets',
            id: sendVoidTicket(d, ctx, { lineId: at(lineIds, op.line) ?? 'none' }),
          })
          break
      }
    })
    return { doc: next, created, rejected: false }
  } catch (e) {
    if (!isTabsyncError(e)) throw e
    // A refused command changes nothing.
    if (A.getHeads(doc).join() !== before.join()) {
      throw new Error('a rejected command changed the document', { cause: e })
    }
    return { doc, created: [], rejected: true }
  }
}
