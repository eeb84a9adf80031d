import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  addLine,
  closeOrder,
  fire,
  newId,
  resolveConflict,
  sendVoidTicket,
  setNote,
  summarizeOrder,
  takePayment,
  ticketStates,
  voidLine,
  changeQuantity,
  type OrderDoc,
  readOrder,
} from '../src/index.js'
import { assertProperty } from './fuzz-budget.js'
import { device, newOrderDoc, replica, type Replica } from './helpers.js'

/*
 * Concurrent histories produce exactly the documented conflicts (DESIGN.md, merge rule 5),
 * whatever lines came before.
 */

const ITEMS = ['burger', 'soup', 'beer', 'pizza', 'tiramisu']
const prefixArb = fc.array(
  fc.record({ item: fc.constantFrom(...ITEMS), quantity: fc.integer({ min: 1, max: 4 }) }),
  { minLength: 1, maxLength: 6 },
)

/** Two devices sharing an order with `prefix` lines, then apart. */
function twoDevicesApart(prefix: { item: string; quantity: number }[]) {
  const a = device('tablet-a')
  const b = device('tablet-b', { startMs: Date.UTC(2026, 10, 20, 18, 0) + 5_000 })
  const ra = replica(newOrderDoc(a))
  const lineIds = ra.run((d) =>
    prefix.map((p) =>
      addLine(d, a, {
        itemId: p.item,
        quantity: p.quantity,
        ...(p.item === 'burger' ? { modifiers: [{ groupId: 'cooking', optionId: 'medium' }] } : {}),
      }),
    ),
  )
  const rb = replica(A.clone(ra.doc))
  return { a, b, ra, rb, lineIds }
}

function merged(x: Replica, y: Replica): OrderDoc {
  return A.merge(A.clone(x.doc), A.clone(y.doc))
}

const kinds = (doc: OrderDoc) =>
  summarizeOrder(doc)
    .conflicts.map((c) => c.kind)
    .sort()

test('two devices take full payment offline: overpaid by exactly one payment', () => {
  assertProperty(
    fc.property(prefixArb, (prefix) => {
      const { a, b, ra, rb } = twoDevicesApart(prefix)
      const due = summarizeOrder(ra.doc).totals.balance
      ra.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: due }))
      rb.run((d) => takePayment(d, b, { key: newId(), tender: 'cash', amount: due }))
      const m = merged(ra, rb)
      const s = summarizeOrder(m)
      expect(kinds(m)).toEqual(['overpaid'])
      expect(s.conflicts[0]?.amount).toBe(due)
      expect(s.status.status).toBe('needs-attention')
    }),
    25,
  )
})

test('a line added on one device while the other closed the check: changed after close, balance due', () => {
  assertProperty(
    fc.property(prefixArb, fc.constantFrom(...ITEMS), (prefix, extra) => {
      const { a, b, ra, rb } = twoDevicesApart(prefix)
      const due = summarizeOrder(ra.doc).totals.balance
      ra.run((d) => takePayment(d, a, { key: newId(), tender: 'card', amount: due }))
      ra.run((d) => closeOrder(d, a))
      b.advance(60_000) // b adds after a closed, in hybrid-clock time
      const lineId = rb.run((d) =>
        addLine(d, b, {
          itemId: extra,
          ...(extra === 'burger' ? { modifiers: [{ groupId: 'cooking', optionId: 'rare' }] } : {}),
        }),
      )
      const s = summarizeOrder(merged(ra, rb))
      expect(s.conflicts.map((c) => c.kind)).toEqual(['changed-after-close', 'changed-after-close'])
      expect(s.conflicts[0]?.lineId).toBe(lineId)
      expect(s.totals.balance).toBeGreaterThan(0)
    }),
    25,
  )
})

test('the same line fired on two devices: two tickets, the kitchen cooks it once', () => {
  assertProperty(
    fc.property(prefixArb, (prefix) => {
      const { a, b, ra, rb } = twoDevicesApart(prefix)
      ra.run((d) => fire(d, a))
      rb.run((d) => fire(d, b))
      const m = merged(ra, rb)
      const s = summarizeOrder(m)
      expect(new Set(kinds(m))).toEqual(new Set(['fired-twice']))
      // Every unit of every line is cooked exactly once.
      const cooked = new Map<string, number>()
      for (const t of ticketStates(readOrder(m)))
        for (const i of t.items)
          cooked.set(i.item.lineId, (cooked.get(i.item.lineId) ?? 0) + i.effectiveQuantity)
      for (const l of s.lines) expect(cooked.get(l.line.id)).toBe(l.quantity)
      expect(s.tickets.filter((t) => t.duplicate).length).toBeGreaterThan(0)
    }),
    25,
  )
})

test('a fired line voided on a device that had not seen the fire needs a VOID ticket, and sending it clears the conflict', () => {
  assertProperty(
    fc.property(prefixArb, (prefix) => {
      const { a, b, ra, rb, lineIds } = twoDevicesApart(prefix)
      ra.run((d) => fire(d, a))
      rb.run((d) => voidLine(d, b, { lineId: lineIds[0]!, reason: 'guest left' }))
      const m = replica(merged(ra, rb))
      expect(kinds(m.doc)).toEqual(['void-needs-ticket'])
      m.run((d) => sendVoidTicket(d, a, { lineId: lineIds[0]! }))
      expect(kinds(m.doc)).toEqual([])
      const voidTickets = summarizeOrder(m.doc).tickets.filter((t) => t.ticket.kind === 'void')
      expect(voidTickets).toHaveLength(1)
    }),
    25,
  )
})

test('a fired line voided on the device that fired it sends the VOID ticket at once', () => {
  const { a, ra, lineIds } = twoDevicesApart([{ item: 'soup', quantity: 2 }])
  ra.run((d) => fire(d, a))
  ra.run((d) => voidLine(d, a, { lineId: lineIds[0]!, reason: 'sent back' }))
  const s = summarizeOrder(ra.doc)
  expect(s.conflicts).toEqual([])
  expect(s.tickets.map((t) => t.ticket.kind)).toEqual(['fire', 'void'])
  expect(s.tickets[1]?.ticket.items[0]?.quantity).toBe(2)
})

test('concurrent notes are surfaced; writing one value resolves it', () => {
  const { a, b, ra, rb } = twoDevicesApart([{ item: 'soup', quantity: 1 }])
  ra.run((d) => setNote(d, a, { note: 'nut allergy' }))
  rb.run((d) => setNote(d, b, { note: 'birthday' }))
  const m = replica(merged(ra, rb))
  const [c] = summarizeOrder(m.doc).conflicts
  expect(c?.kind).toBe('field-overwrite')
  expect(c?.values).toEqual(['birthday', 'nut allergy'])
  m.run((d) => setNote(d, a, { note: 'nut allergy; birthday' }))
  expect(summarizeOrder(m.doc).conflicts).toEqual([])
})

test('concurrent +1 on two devices gives +2 (quantities are counters)', () => {
  assertProperty(
    fc.property(
      prefixArb,
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      (prefix, x, y) => {
        const { a, b, ra, rb, lineIds } = twoDevicesApart(prefix)
        const before = summarizeOrder(ra.doc).lines.find((l) => l.line.id === lineIds[0])!.quantity
        ra.run((d) => changeQuantity(d, a, { lineId: lineIds[0]!, delta: x }))
        rb.run((d) => changeQuantity(d, b, { lineId: lineIds[0]!, delta: y }))
        expect(
          summarizeOrder(merged(ra, rb)).lines.find((l) => l.line.id === lineIds[0])!.quantity,
        ).toBe(before + x + y)
      },
    ),
    25,
  )
})

test('acknowledging a conflict removes it from the review list on every replica', () => {
  const { a, b, ra, rb } = twoDevicesApart([{ item: 'soup', quantity: 1 }])
  ra.run((d) => fire(d, a))
  rb.run((d) => fire(d, b))
  const m = replica(merged(ra, rb))
  const [c] = summarizeOrder(m.doc).conflicts
  m.run((d) => resolveConflict(d, a, { conflictId: c!.id, note: 'kitchen made one' }))
  expect(summarizeOrder(m.doc).conflicts).toEqual([])
  expect(summarizeOrder(A.merge(A.clone(rb.doc), A.clone(m.doc))).conflicts).toEqual([])
})
