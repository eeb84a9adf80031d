import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  addAdjustment,
  addLine,
  changeQuantity,
  closeOrder,
  fire,
  fixConflict,
  isTabsyncError,
  moveOrder,
  newId,
  openOrder,
  refund,
  resolveConflict,
  splitCheck,
  summarizeOrder,
  tableForks,
  takePayment,
  transferOrder,
  type CommandContext,
  type OrderDoc,
} from '../src/index.js'
import { allocate } from '../src/money/money.js'
import { unnamedViolations } from '../src/invariants/violations.js'
import { device, newOrderDoc, replica, type Replica } from './helpers.js'

/*
 * The reproductions of issue 10 ("Merges that mean the right thing"), each from a fresh order,
 * two devices apart, then merged, through the public core API. Item 10 (a refused document
 * never settling) is in packages/sync.
 */

function apart(lines: { item: string; quantity: number }[]) {
  const a = device('tablet-a')
  const b = device('tablet-b', { startMs: Date.UTC(2026, 10, 20, 18, 0) + 5_000 })
  const ra = replica(newOrderDoc(a))
  const ids = ra.run((d) =>
    lines.map((l) => addLine(d, a, { itemId: l.item, quantity: l.quantity })),
  )
  const rb = replica(A.clone(ra.doc))
  return { a, b, ra, rb, ids }
}

const merge = (x: Replica, y: Replica) => replica(A.merge(A.clone(x.doc), A.clone(y.doc)))

function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

test('1. each device takes one off a line of 2: the merged check is not "paid" with nothing paid; it asks to void or set a quantity', () => {
  const { a, b, ra, rb, ids } = apart([{ item: 'soup', quantity: 2 }])
  ra.run((d) => changeQuantity(d, a, { lineId: ids[0]!, delta: -1 }))
  rb.run((d) => changeQuantity(d, b, { lineId: ids[0]!, delta: -1 }))
  const m = merge(ra, rb)
  const s = summarizeOrder(m.doc)
  expect(s.lines[0]?.rawQuantity).toBe(0)
  expect(s.status.status).toBe('needs-attention')
  const [c] = s.conflicts
  expect(c?.kind).toBe('quantity-below-one')
  expect(c?.actions).toEqual(['void-line', 'change-quantity'])
  expect(unnamedViolations(s)).toEqual([])
  // Either fix is an appended entry that clears it.
  const voided = replica(A.clone(m.doc))
  voided.run((d) => fixConflict(d, a, { conflictId: c!.id, action: 'void-line' }))
  expect(summarizeOrder(voided.doc).conflicts).toEqual([])
  m.run((d) => fixConflict(d, b, { conflictId: c!.id, action: 'change-quantity' }))
  const fixed = summarizeOrder(m.doc)
  expect(fixed.conflicts).toEqual([])
  expect(fixed.lines[0]?.quantity).toBe(1)
})

test('2. one device fires a line of 2 while the other takes one off: the check bills the 2 the kitchen cooks, and says so', () => {
  const { a, b, ra, rb, ids } = apart([{ item: 'soup', quantity: 2 }])
  ra.run((d) => fire(d, a))
  rb.run((d) => changeQuantity(d, b, { lineId: ids[0]!, delta: -1 }))
  const s = summarizeOrder(merge(ra, rb).doc)
  expect(s.lines[0]?.fired).toBe(2)
  expect(s.lines[0]?.quantity).toBe(2)
  expect(s.totals.lines[ids[0]!]?.gross).toBe(2 * s.lines[0]!.line.unitPrice)
  expect(s.conflicts.map((c) => c.kind)).toEqual(['removed-after-fire'])
  expect(s.status.status).toBe('needs-attention')
})

test('3. both devices refund the same payment in full: refunded once in the totals, paid never negative, the excess named', () => {
  const { a, b, ra, rb } = apart([{ item: 'soup', quantity: 1 }])
  const due = summarizeOrder(ra.doc).totals.balance
  const key = ra.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: due }))
  rb.doc = A.merge(rb.doc, A.clone(ra.doc))
  ra.run((d) => refund(d, a, { paymentId: key, amount: due, reason: 'cold soup' }))
  rb.run((d) => refund(d, b, { paymentId: key, amount: due, reason: 'cold soup' }))
  const s = summarizeOrder(merge(ra, rb).doc)
  expect(s.totals.refunded).toBe(due)
  expect(s.totals.paid).toBe(0)
  expect(s.totals.balance).toBe(s.totals.total)
  expect(s.conflicts.map((c) => [c.kind, c.amount])).toEqual([['over-refunded', due]])
  expect(s.status.status).toBe('needs-attention')
})

test('4. both devices add 998 to one line: billed and cooked as 999, flagged, and the offered change brings it back', () => {
  const { a, b, ra, rb, ids } = apart([{ item: 'beer', quantity: 1 }])
  ra.run((d) => changeQuantity(d, a, { lineId: ids[0]!, delta: 998 }))
  rb.run((d) => changeQuantity(d, b, { lineId: ids[0]!, delta: 998 }))
  const m = merge(ra, rb)
  const s = summarizeOrder(m.doc)
  expect(s.lines[0]?.rawQuantity).toBe(1997)
  expect(s.lines[0]?.quantity).toBe(999)
  const [c] = s.conflicts
  expect(c?.kind).toBe('quantity-above-max')
  m.run((d) => fixConflict(d, a, { conflictId: c!.id, action: 'change-quantity' }))
  expect(summarizeOrder(m.doc).lines[0]?.rawQuantity).toBe(999)
  expect(summarizeOrder(m.doc).conflicts).toEqual([])
})

test('5. a check closed while the other device added a line is never "closed and settled" with money due, and resolve refuses what cannot be accepted', () => {
  const { a, b, ra, rb } = apart([{ item: 'soup', quantity: 1 }])
  const due = summarizeOrder(ra.doc).totals.balance
  ra.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: due }))
  ra.run((d) => closeOrder(d, a))
  b.advance(60_000)
  rb.run((d) => addLine(d, b, { itemId: 'tiramisu' }))
  const m = merge(ra, rb)
  // Staff accept every conflict that can be accepted...
  for (const c of summarizeOrder(m.doc).conflicts) {
    if (c.actions.includes('acknowledge')) m.run((d) => resolveConflict(d, a, { conflictId: c.id }))
  }
  const s = summarizeOrder(m.doc)
  expect(s.totals.balance).toBeGreaterThan(0)
  expect(s.status.status).toBe('needs-attention')
  const balance = s.conflicts.find((c) => c.id.startsWith('after-close-balance:'))!
  expect(balance.actions).toEqual(['reopen'])
  // ...the balance conflict cannot be: a typed error, nothing written.
  const heads = A.getHeads(m.doc)
  const e = thrown(() => m.run((d) => resolveConflict(d, a, { conflictId: balance.id })))
  expect(isTabsyncError(e, 'conflict')).toBe(true)
  // Nor can a conflict that does not exist (yet): resolving overpaid:500 in advance.
  const ahead = thrown(() => m.run((d) => resolveConflict(d, a, { conflictId: 'overpaid:500' })))
  expect(isTabsyncError(ahead, 'not-found')).toBe(true)
  expect(A.getHeads(m.doc)).toEqual(heads)
  // The offered fix: reopen, then the balance can be paid and the check closed for real.
  m.run((d) => fixConflict(d, a, { conflictId: balance.id, action: 'reopen' }))
  const left = summarizeOrder(m.doc).totals.balance
  m.run((d) => takePayment(d, a, { key: newId(), tender: 'cash', amount: left }))
  m.run((d) => closeOrder(d, a))
  expect(summarizeOrder(m.doc).status.status).toBe('closed')
})

test('6. a whole-order payment, and one for a check a later split dropped, still show on the split checks', () => {
  const { a, b, ra, rb } = apart([
    { item: 'soup', quantity: 1 },
    { item: 'pizza', quantity: 1 },
    { item: 'beer', quantity: 3 },
  ])
  ra.run((d) => splitCheck(d, a, { mode: 'even', parts: 3 }))
  const third = summarizeOrder(ra.doc).totals.checks[2]!.balance
  ra.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: third, check: 3 }))
  rb.run((d) => takePayment(d, b, { key: newId(), tender: 'cash', amount: 500 }))
  b.advance(60_000)
  rb.run((d) => splitCheck(d, b, { mode: 'even', parts: 2 }))
  const t = summarizeOrder(merge(ra, rb).doc).totals
  expect(t.checks).toHaveLength(2)
  expect(t.checks.reduce((s, c) => s + c.paid, 0)).toBe(t.paid)
  expect(t.checks.reduce((s, c) => s + c.balance, 0)).toBe(t.balance)
  expect(t.paid).toBe(third + 500)
})

test('7. allocate breaks an exact remainder tie towards the earliest part, so a check discount lands as documented', () => {
  expect(allocate(220, [45, 7, 84, 20])).toEqual([64, 10, 118, 28])
  const { a, ra } = apart([{ item: 'soup', quantity: 1 }])
  ra.run((d) => addAdjustment(d, a, { kind: 'discount', amount: 220, reason: 'regular' }))
  const t = summarizeOrder(ra.doc).totals
  expect(t.discounts).toBe(220)
})

test('8. two devices open the same free table while apart: a fork names both checks, and combining leaves one check with everything', () => {
  const a = device('tablet-a')
  const b = device('tablet-b', { startMs: Date.UTC(2026, 10, 20, 18, 0) + 5_000 })
  const one = replica(newOrderDoc(a, 't4'))
  const two = replica(newOrderDoc(b, 't4'))
  one.run((d) => addLine(d, a, { itemId: 'soup' }))
  two.run((d) => addLine(d, b, { itemId: 'beer', quantity: 2 }))
  const paid = two.run((d) =>
    takePayment(d, b, {
      key: newId(),
      tender: 'cash',
      amount: summarizeOrder(two.doc).totals.balance,
    }),
  )
  const forks = tableForks([summarizeOrder(one.doc), summarizeOrder(two.doc)])
  expect(forks).toHaveLength(1)
  expect(forks[0]?.tableId).toBe('t4')
  expect(forks[0]?.actions).toEqual(['combine', 'keep-apart'])
  const before = summarizeOrder(one.doc).totals.total + summarizeOrder(two.doc).totals.total
  // Combine the second into the first: both documents change in one step.
  let src = two.doc
  const dst = A.change(one.doc, (t) => {
    src = A.change(src, (s) => {
      transferOrder(s, t, a)
    })
  })
  const kept = summarizeOrder(dst)
  const left = summarizeOrder(src)
  expect(kept.lines).toHaveLength(2)
  expect(kept.totals.total).toBe(before)
  expect(Object.keys(kept.order.payments)).toEqual([paid])
  expect(left.status.status).toBe('combined')
  expect(left.totals.total).toBe(0)
  expect(tableForks([kept, left])).toEqual([])
})

test('9. ids named like Object.prototype members and null inputs are typed errors naming the problem', () => {
  const a = device('tablet-a')
  const r = replica(newOrderDoc(a))
  const lineId = r.run((d) => addLine(d, a, { itemId: 'soup' }))
  const payment = r.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: 100 }))
  const cases: [string, string, RegExp, (d: OrderDoc, c: CommandContext) => unknown][] = [
    [
      'move to table constructor',
      'invalid-input',
      /unknown table constructor/,
      (d, c) => moveOrder(d, c, { toTableId: 'constructor' }),
    ],
    [
      'adjust line toString',
      'not-found',
      /unknown line toString/,
      (d, c) => addAdjustment(d, c, { kind: 'comp', lineId: 'toString', reason: 'x' }),
    ],
    [
      'payment key constructor',
      'invalid-input',
      /payment key/,
      (d, c) => takePayment(d, c, { key: 'constructor', tender: 'card', amount: 1 }),
    ],
    [
      'payment key __proto__',
      'invalid-input',
      /payment key/,
      (d, c) => takePayment(d, c, { key: '__proto__', tender: 'card', amount: 1 }),
    ],
    [
      'addLine(null)',
      'invalid-input',
      /addLine needs an input object, got null/,
      (d, c) => addLine(d, c, null as never),
    ],
    [
      'item constructor',
      'not-found',
      /unknown menu item constructor/,
      (d, c) => addLine(d, c, { itemId: 'constructor' }),
    ],
    [
      'refund payment constructor',
      'not-found',
      /unknown payment constructor/,
      (d, c) => refund(d, c, { paymentId: 'constructor', amount: 1, reason: 'x' }),
    ],
    [
      'quantity of line __proto__',
      'not-found',
      /unknown line __proto__/,
      (d, c) => changeQuantity(d, c, { lineId: '__proto__', delta: 1 }),
    ],
  ]
  for (const [name, kind, message, command] of cases) {
    const heads = A.getHeads(r.doc)
    const e = thrown(() => r.run((d) => command(d, a)))
    expect(isTabsyncError(e, kind as never), `${name}: ${String(e)}`).toBe(true)
    expect((e as Error).message, name).toMatch(message)
    expect(A.getHeads(r.doc), name).toEqual(heads)
  }
  expect(
    isTabsyncError(
      thrown(() => openOrder(a, { tableId: 'constructor' })),
      'invalid-input',
    ),
  ).toBe(true)
  expect(summarizeOrder(r.doc).lines.map((l) => l.line.id)).toEqual([lineId])
  expect(Object.keys(summarizeOrder(r.doc).order.payments)).toEqual([payment])
})
