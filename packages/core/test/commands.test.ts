import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
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
  recordPrint,
  refund,
  reopenOrder,
  splitCheck,
  summarizeOrder,
  takePayment,
  voidLine,
  type OrderDoc,
} from '../src/index.js'
import { demoStore, device, newOrderDoc, replica } from './helpers.js'

const till = device('till-1')

/** An order with one unfired soup and one fired burger. */
function setup() {
  const r = replica(newOrderDoc(till))
  const soup = r.run((d) => addLine(d, till, { itemId: 'soup', quantity: 2 }))
  const burger = r.run((d) =>
    addLine(d, till, { itemId: 'burger', modifiers: [{ groupId: 'cooking', optionId: 'rare' }] }),
  )
  r.run((d) => fire(d, till, { lineIds: [burger] }))
  return { r, soup, burger }
}

const bad: [string, string, (d: OrderDoc, ids: { soup: string; burger: string }) => unknown][] = [
  ['unknown item', 'not-found', (d) => addLine(d, till, { itemId: 'caviar' })],
  ['zero quantity', 'invalid-input', (d) => addLine(d, till, { itemId: 'soup', quantity: 0 })],
  [
    'fractional quantity',
    'invalid-input',
    (d) => addLine(d, till, { itemId: 'soup', quantity: 1.5 }),
  ],
  [
    'absurd quantity',
    'invalid-input',
    (d) => addLine(d, till, { itemId: 'soup', quantity: 10_000 }),
  ],
  ['missing required modifier', 'invalid-input', (d) => addLine(d, till, { itemId: 'steak' })],
  [
    'modifier of another item',
    'invalid-input',
    (d) =>
      addLine(d, till, { itemId: 'soup', modifiers: [{ groupId: 'cooking', optionId: 'rare' }] }),
  ],
  ['seat 0', 'invalid-input', (d) => addLine(d, till, { itemId: 'soup', seat: 0 })],
  [
    'huge note',
    'invalid-input',
    (d) => addLine(d, till, { itemId: 'soup', note: 'x'.repeat(10_000) }),
  ],
  [
    'quantity below what was fired',
    'already-fired',
    (d, ids) => changeQuantity(d, till, { lineId: ids.burger, delta: -1 }),
  ],
  [
    'quantity to zero',
    'invalid-input',
    (d, ids) => changeQuantity(d, till, { lineId: ids.soup, delta: -2 }),
  ],
  [
    'quantity of unknown line',
    'not-found',
    (d) => changeQuantity(d, till, { lineId: 'nope', delta: 1 }),
  ],
  [
    'void a fired line without reason',
    'invalid-input',
    (d, ids) => voidLine(d, till, { lineId: ids.burger }),
  ],
  [
    'discount without reason',
    'invalid-input',
    (d, ids) =>
      addAdjustment(d, till, {
        kind: 'discount',
        lineId: ids.soup,
        percentBasisPoints: 1000,
        reason: ' ',
      }),
  ],
  [
    'discount with percent and amount',
    'invalid-input',
    (d) =>
      addAdjustment(d, till, {
        kind: 'discount',
        percentBasisPoints: 1000,
        amount: 5,
        reason: 'x',
      }),
  ],
  [
    'discount over 100%',
    'invalid-input',
    (d) => addAdjustment(d, till, { kind: 'discount', percentBasisPoints: 10_001, reason: 'x' }),
  ],
  [
    'payment over the balance',
    'invalid-input',
    (d) => takePayment(d, till, { key: newId(), tender: 'card', amount: 1_000_000 }),
  ],
  [
    'payment with a malformed key',
    'invalid-input',
    (d) => takePayment(d, till, { key: 'a key with spaces', tender: 'card', amount: 100 }),
  ],
  [
    'negative tip',
    'invalid-input',
    (d) => takePayment(d, till, { key: newId(), tender: 'card', amount: 100, tip: -5 }),
  ],
  [
    'cash short of amount',
    'invalid-input',
    (d) => takePayment(d, till, { key: newId(), tender: 'cash', amount: 500, tendered: 100 }),
  ],
  [
    'refund of unknown payment',
    'not-found',
    (d) => refund(d, till, { paymentId: 'nope', amount: 1, reason: 'x' }),
  ],
  ['close with balance due', 'balance-due', (d) => closeOrder(d, till)],
  ['reopen an open check', 'invalid-input', (d) => reopenOrder(d, till, { reason: 'x' })],
  ['move to unknown table', 'invalid-input', (d) => moveOrder(d, till, { toTableId: 'roof' })],
  ['guests below zero', 'invalid-input', (d) => changeGuests(d, till, { delta: -1 })],
  ['split into one part', 'invalid-input', (d) => splitCheck(d, till, { mode: 'even', parts: 1 })],
  [
    'split assigning an unknown line',
    'not-found',
    (d) => splitCheck(d, till, { mode: 'item', parts: 2, assignments: { nope: 1 } }),
  ],
  ['hold course 0', 'invalid-input', (d) => holdCourse(d, till, { course: 0, held: true })],
  [
    'print of unknown ticket',
    'not-found',
    (d) => recordPrint(d, till, { ticketId: 'nope', printerId: 'p', outcome: 'printed' }),
  ],
  [
    'fire a voided line',
    'voided',
    (d, ids) => (voidLine(d, till, { lineId: ids.soup }), fire(d, till, { lineIds: [ids.soup] })),
  ],
]

test.each(bad)('bad input is a typed error and changes nothing: %s', (_name, kind, command) => {
  const { r, soup, burger } = setup()
  const before = A.getHeads(r.doc)
  let thrown: unknown
  try {
    r.run((d) => command(d, { soup, burger }))
  } catch (e) {
    thrown = e
  }
  expect(isTabsyncError(thrown), String(thrown)).toBe(true)
  expect((thrown as { kind: string }).kind).toBe(kind)
  expect(A.getHeads(r.doc)).toEqual(before)
})

test('a retried payment with the same key is recorded once', () => {
  const { r } = setup()
  const key = newId()
  r.run((d) => takePayment(d, till, { key, tender: 'card', amount: 500 }))
  r.run((d) => takePayment(d, till, { key, tender: 'card', amount: 500 }))
  expect(summarizeOrder(r.doc).totals.paid).toBe(500)
})

test('a closed check refuses new lines until reopened', () => {
  const { r } = setup()
  r.run((d) =>
    takePayment(d, till, {
      key: newId(),
      tender: 'card',
      amount: summarizeOrder(r.doc).totals.balance,
    }),
  )
  r.run((d) => closeOrder(d, till))
  expect(() => r.run((d) => addLine(d, till, { itemId: 'soup' }))).toThrow(
    expect.objectContaining({ kind: 'closed' }),
  )
  r.run((d) => reopenOrder(d, till, { reason: 'dessert' }))
  r.run((d) => addLine(d, till, { itemId: 'tiramisu' }))
  expect(summarizeOrder(r.doc).status.status).toBe('fired')
})

test('held courses do not fire with "fire all" until released; raising a fired quantity fires only the new units', () => {
  const r = replica(newOrderDoc(till))
  const starter = r.run((d) => addLine(d, till, { itemId: 'soup', course: 1 }))
  const main = r.run((d) => addLine(d, till, { itemId: 'pizza', course: 2 }))
  r.run((d) => holdCourse(d, till, { course: 2, held: true }))
  r.run((d) => fire(d, till))
  let s = summarizeOrder(r.doc)
  expect(s.lines.find((l) => l.line.id === starter)?.fired).toBe(1)
  expect(s.lines.find((l) => l.line.id === main)?.fired).toBe(0)
  r.run((d) => holdCourse(d, till, { course: 2, held: false }))
  r.run((d) => changeQuantity(d, till, { lineId: starter, delta: 1 }))
  r.run((d) => fire(d, till))
  s = summarizeOrder(r.doc)
  expect(s.lines.map((l) => [l.fired, l.unfired])).toEqual([
    [2, 0],
    [1, 0],
  ])
  const soupTickets = s.tickets.flatMap((t) => t.items).filter((i) => i.item.lineId === starter)
  expect(soupTickets.map((i) => [i.item.fromQuantity, i.item.quantity])).toEqual([
    [0, 1],
    [1, 1],
  ])
})

test('discounts and comps: line comp, check percentage shared over lines, nothing below zero', () => {
  const r = replica(newOrderDoc(till))
  const soup = r.run((d) => addLine(d, till, { itemId: 'soup' })) // 750
  r.run((d) => addLine(d, till, { itemId: 'pizza' })) // 1450
  r.run((d) => addAdjustment(d, till, { kind: 'comp', lineId: soup, reason: 'cold soup' }))
  r.run((d) =>
    addAdjustment(d, till, { kind: 'discount', percentBasisPoints: 1000, reason: 'regular' }),
  )
  const t = summarizeOrder(r.doc).totals
  expect(t.comps).toBe(750)
  expect(t.discounts).toBe(145)
  expect(t.total).toBe(1450 - 145)
  expect(t.inclusiveTax).toBe(1305 - Math.round(1305 / 1.1))
})

test('even split: parts differ by at most a cent and add up to the total', () => {
  const r = replica(newOrderDoc(till))
  r.run((d) => addLine(d, till, { itemId: 'soup' })) // 750
  r.run((d) => addLine(d, till, { itemId: 'water' })) // 300
  r.run((d) => splitCheck(d, till, { mode: 'even', parts: 4 }))
  expect(summarizeOrder(r.doc).totals.checks.map((c) => c.total)).toEqual([263, 263, 262, 262])
})

test('exclusive tax is added once per rate, rounded half away from zero', () => {
  const base = demoStore()
  const store = {
    ...base,
    taxRates: {
      ...base.taxRates,
      food: { id: 'food', name: 'Sales tax', basisPoints: 875, inclusive: false },
    },
  }
  const us = device('till-us', { store })
  const r = replica(newOrderDoc(us))
  r.run((d) => addLine(d, us, { itemId: 'soup' })) // 750 food
  r.run((d) => addLine(d, us, { itemId: 'soup' })) // 750 food
  r.run((d) => addLine(d, us, { itemId: 'water' })) // 300 drinks, 20% inclusive
  const t = summarizeOrder(r.doc).totals
  expect(t.exclusiveTax).toBe(131) // 1500 * 8.75% = 131.25
  expect(t.inclusiveTax).toBe(50) // 300 - 250
  expect(t.total).toBe(1500 + 300 + 131)
})
