import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  addLine,
  fixConflict,
  isTabsyncError,
  keepChecksApart,
  newId,
  summarizeOrder,
  takePayment,
} from '../src/index.js'
import { device, newOrderDoc, replica } from './helpers.js'

/*
 * fixConflict applies only what a conflict offers, and keepChecksApart only a real fork: bad
 * requests are typed errors that change nothing.
 */

function overpaid() {
  const a = device('tablet-a')
  const b = device('tablet-b', { startMs: Date.UTC(2026, 10, 20, 18, 0) + 5_000 })
  const ra = replica(newOrderDoc(a))
  ra.run((d) => addLine(d, a, { itemId: 'soup' }))
  const rb = replica(A.clone(ra.doc))
  const due = summarizeOrder(ra.doc).totals.balance
  ra.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: due }))
  rb.run((d) => takePayment(d, b, { key: newId(), tender: 'cash', amount: due }))
  return { a, m: replica(A.merge(ra.doc, rb.doc)), due }
}

function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

test('the refund an overpaid conflict offers refunds exactly the excess and clears it', () => {
  const { a, m, due } = overpaid()
  const [c] = summarizeOrder(m.doc).conflicts
  expect(c?.kind).toBe('overpaid')
  m.run((d) => fixConflict(d, a, { conflictId: c!.id, action: 'refund' }))
  const s = summarizeOrder(m.doc)
  expect(s.totals.refunded).toBe(due)
  expect(s.totals.balance).toBe(0)
  expect(s.conflicts).toEqual([])
})

test('an action the conflict does not offer, or a conflict that is not there, is a typed error and changes nothing', () => {
  const { a, m } = overpaid()
  const [c] = summarizeOrder(m.doc).conflicts
  const heads = A.getHeads(m.doc)
  const wrong = thrown(() =>
    m.run((d) => fixConflict(d, a, { conflictId: c!.id, action: 'void-line' })),
  )
  expect(isTabsyncError(wrong, 'invalid-input')).toBe(true)
  expect((wrong as Error).message).toMatch(/offers refund, acknowledge/)
  const missing = thrown(() =>
    m.run((d) => fixConflict(d, a, { conflictId: 'overpaid:1', action: 'refund' })),
  )
  expect(isTabsyncError(missing, 'not-found')).toBe(true)
  const notAFork = thrown(() =>
    m.run((d) =>
      keepChecksApart(d, a, { fork: { id: c!.id, orderIds: ['x'], actions: ['keep-apart'] } }),
    ),
  )
  expect(isTabsyncError(notAFork, 'invalid-input')).toBe(true)
  expect(A.getHeads(m.doc)).toEqual(heads)
})
