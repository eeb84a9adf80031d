import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  addAdjustment,
  addLine,
  cancelOrder,
  changeQuantity,
  closeOrder,
  fire,
  isTabsyncError,
  kitchenQueue,
  newId,
  reopenOrder,
  salesReport,
  summarizeOrder,
  takePayment,
  transferOrder,
  type CommandContext,
  type OrderDoc,
} from '../src/index.js'
import { demoStore, device, newOrderDoc } from './helpers.js'

/*
 * Combining checks and moving lines (transferOrder), and cancelling an empty check: each thing
 * counts in exactly one check, on every device, whoever runs it and however often.
 */

/** Runs transferOrder on both documents in one step, as the sync layer does with two handles. */
function transfer(
  source: OrderDoc,
  target: OrderDoc,
  ctx: CommandContext,
  lineIds?: string[],
): { source: OrderDoc; target: OrderDoc; id: string | null } {
  let id: string | null = null
  let s = source
  const t = A.change(target, (dt) => {
    s = A.change(s, (ds) => {
      id = transferOrder(ds, dt, ctx, lineIds ? { lineIds } : {})
    })
  })
  return { source: s, target: t, id }
}

function twoChecks() {
  const a = device('tablet-a')
  const b = device('tablet-b', { startMs: Date.UTC(2026, 10, 20, 18, 0) + 5_000 })
  let x = newOrderDoc(a, 't4')
  let y = newOrderDoc(b, 't4')
  const soup = { id: '' }
  x = A.change(x, (d) => {
    soup.id = addLine(d, a, { itemId: 'soup', quantity: 2 })
  })
  x = A.change(x, (d) => void fire(d, a))
  let beer = ''
  y = A.change(y, (d) => {
    beer = addLine(d, b, { itemId: 'beer', quantity: 3 })
    addAdjustment(d, b, {
      kind: 'discount',
      lineId: beer,
      percentBasisPoints: 1000,
      reason: 'happy hour',
    })
  })
  let payment = ''
  y = A.change(y, (d) => {
    payment = takePayment(d, b, { key: newId(), tender: 'card', amount: 500 })
  })
  return { a, b, x, y, soup: soup.id, beer, payment }
}

test('combining a check moves every line, adjustment and payment: the target bills what both did, the source leaves the floor', () => {
  const { a, x, y, beer, payment } = twoChecks()
  const before = summarizeOrder(x).totals.total + summarizeOrder(y).totals.total
  const r = transfer(y, x, a)
  const kept = summarizeOrder(r.target)
  expect(kept.totals.total).toBe(before)
  expect(kept.totals.paid).toBe(500)
  expect(kept.totals.lines[beer]?.discount).toBeGreaterThan(0)
  expect(Object.keys(kept.order.payments)).toEqual([payment])
  const left = summarizeOrder(r.source)
  expect(left.status.status).toBe('combined')
  expect(left.totals.paid).toBe(0)
  // The report counts each line and payment once.
  const report = salesReport([kept.fullOrder, left.fullOrder], demoStore(), kept.order.businessDate)
  expect(report.total).toBe(before)
  expect(report.paid).toBe(500)
  expect(report.combinedCount).toBe(1)
  expect(report.openChecks.map((c) => c.orderId)).toEqual([kept.order.orderId])
})

test('combining twice, or on two devices at once, moves everything once', () => {
  const { a, b, x, y } = twoChecks()
  const total = summarizeOrder(x).totals.total + summarizeOrder(y).totals.total
  const once = transfer(y, x, a)
  expect(transfer(once.source, once.target, a).id).toBeNull()
  const onB = transfer(A.clone(y), A.clone(x), b)
  const mx = A.merge(A.clone(once.target), onB.target)
  const my = A.merge(A.clone(once.source), onB.source)
  const kept = summarizeOrder(mx)
  expect(kept.totals.total).toBe(total)
  expect(kept.totals.paid).toBe(500)
  expect(kept.lines).toHaveLength(2)
  expect(summarizeOrder(my).status.status).toBe('combined')
  expect(kept.conflicts).toEqual([])
})

test('moving one fired line takes its kitchen ticket along: the target does not fire it again, the kitchen lists it once', () => {
  const { a, x, y, soup } = twoChecks()
  const r = transfer(x, y, a, [soup])
  const target = summarizeOrder(r.target)
  const line = target.lines.find((l) => l.line.id === soup)
  expect(line?.fired).toBe(2)
  expect(line?.unfired).toBe(0)
  expect(summarizeOrder(r.source).lines).toEqual([])
  const queue = [
    ...kitchenQueue([summarizeOrder(r.source).fullOrder, target.fullOrder]).values(),
  ].flat()
  expect(queue.filter((t) => t.items.some((i) => i.item.lineId === soup))).toHaveLength(1)
  // The moved line cannot be changed on the check it left.
  let error: unknown
  try {
    A.change(r.source, (d) => changeQuantity(d, a, { lineId: soup, delta: 1 }))
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'not-found')).toBe(true)
})

test('a quantity changed on the old check after the line moved is named, not lost silently', () => {
  const { a, b, x, y, beer } = twoChecks()
  const onB = A.change(A.clone(y), (d) => changeQuantity(d, b, { lineId: beer, delta: 1 }))
  const r = transfer(y, x, a, [beer])
  const s = summarizeOrder(A.merge(r.source, onB))
  expect(s.conflicts.map((c) => c.kind)).toContain('changed-after-transfer')
})

test('a closed check cannot be combined; reopen it first', () => {
  const { a, x, y } = twoChecks()
  const paid = A.change(x, (d) => {
    takePayment(d, a, { key: newId(), tender: 'card', amount: summarizeOrder(x).totals.balance })
    closeOrder(d, a)
  })
  let error: unknown
  try {
    transfer(y, paid, a)
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'closed')).toBe(true)
})

test('an empty check can be cancelled: off the floor, counted as cancelled; a check with a line cannot', () => {
  const a = device('tablet-a')
  const empty = A.change(
    newOrderDoc(a, 't2'),
    (d) => void cancelOrder(d, a, { reason: 'wrong table' }),
  )
  const s = summarizeOrder(empty)
  expect(s.status.status).toBe('cancelled')
  const report = salesReport([s.fullOrder], demoStore(), s.order.businessDate)
  expect(report.cancelledCount).toBe(1)
  expect(report.openChecks).toEqual([])
  const withLine = A.change(newOrderDoc(a, 't3'), (d) => void addLine(d, a, { itemId: 'soup' }))
  let error: unknown
  try {
    A.change(withLine, (d) => void cancelOrder(d, a))
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'invalid-input')).toBe(true)
  expect((error as Error).message).toMatch(/1 line/)
})

test('a line added on one device while another cancelled the check: needs attention, and reopen brings it back', () => {
  const a = device('tablet-a')
  const b = device('tablet-b', { startMs: Date.UTC(2026, 10, 20, 18, 0) + 5_000 })
  const base = newOrderDoc(a, 't2')
  const cancelled = A.change(A.clone(base), (d) => void cancelOrder(d, a))
  const added = A.change(A.clone(base), (d) => void addLine(d, b, { itemId: 'soup' }))
  const m = A.merge(cancelled, added)
  const s = summarizeOrder(m)
  expect(s.status.status).toBe('needs-attention')
  expect(s.conflicts.map((c) => [c.kind, c.actions])).toEqual([
    ['changed-after-cancel', ['reopen']],
  ])
  const reopened = A.change(m, (d) => void reopenOrder(d, a, { reason: 'guest stayed' }))
  expect(summarizeOrder(reopened).conflicts).toEqual([])
  expect(summarizeOrder(reopened).status.status).toBe('open')
})
