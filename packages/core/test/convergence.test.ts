import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { ENTRY_MAPS } from '../src/schema/order.js'
import { readOrder, summarizeOrder, type OrderDoc } from '../src/index.js'
import { assertProperty } from './fuzz-budget.js'
import { canonical, device, newOrderDoc } from './helpers.js'
import { applyOp, opArb, type Created } from './order-ops.js'

/*
 * Merge rules, property by property: any replicas, any operations, any merge order reach the
 * same document and the same derived views, and nothing any replica created is lost.
 */

const scenario = fc.integer({ min: 2, max: 6 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    steps: fc.array(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({
            kind: fc.constant('op' as const),
            replica: fc.nat({ max: n - 1 }),
            op: opArb,
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('sync' as const),
            from: fc.nat({ max: n - 1 }),
            to: fc.nat({ max: n - 1 }),
          }),
        },
      ),
      { minLength: 1, maxLength: 40 },
    ),
    finalOrder: fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), {
      minLength: n * n,
      maxLength: n * n * 2,
    }),
  }),
)

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never

/** Runs a scenario: replicas of one order, each on its own device with its own clock. */
function play(s: Scenario) {
  const ctxs = Array.from({ length: s.n }, (_, i) =>
    device(`dev-${i}`, { startMs: Date.UTC(2026, 10, 20, 18, 0) + i * 7_000 }),
  )
  const base = newOrderDoc(ctxs[0]!)
  const docs: OrderDoc[] = ctxs.map(() => A.load<OrderDoc>(A.save(base)))
  const created: Created[] = []
  for (const step of s.steps) {
    if (step.kind === 'op') {
      const r = applyOp(docs[step.replica]!, ctxs[step.replica]!, step.op)
      docs[step.replica] = r.doc
      created.push(...r.created)
    } else if (step.from !== step.to) {
      docs[step.to] = A.merge(docs[step.to]!, A.clone(docs[step.from]!))
    }
  }
  return { docs, created }
}

/** Merges every replica into every other, in the given pairwise order, until all agree. */
function syncAll(docs: OrderDoc[], order: [number, number][]): void {
  for (const [from, to] of order)
    if (from !== to) docs[to] = A.merge(docs[to]!, A.clone(docs[from]!))
  // Finish with a full round so the random order above cannot leave anyone behind.
  for (let to = 0; to < docs.length; to++)
    for (let from = 0; from < docs.length; from++)
      if (from !== to) docs[to] = A.merge(docs[to]!, A.clone(docs[from]!))
}

const views = (doc: OrderDoc) => {
  const s = summarizeOrder(doc)
  return canonical({
    lines: s.lines,
    tickets: s.tickets,
    totals: s.totals,
    conflicts: s.conflicts,
    status: s.status,
    held: [...s.heldCourses],
  })
}

test('replicas converge: identical heads, documents and derived views, nothing lost', () => {
  assertProperty(
    fc.property(scenario, (s) => {
      const { docs, created } = play(s)
      syncAll(docs, s.finalOrder)
      const heads = A.getHeads(docs[0]!).sort().join()
      const json = canonical(readOrder(docs[0]!))
      const view = views(docs[0]!)
      for (const d of docs) {
        expect(A.getHeads(d).sort().join()).toBe(heads)
        expect(canonical(readOrder(d))).toBe(json)
        expect(views(d)).toBe(view)
      }
      const merged = readOrder(docs[0]!)
      for (const c of created) expect(merged[c.map][c.id], `${c.map} ${c.id} lost`).toBeDefined()
    }),
    60,
  )
})

test('money: integers everywhere, checks add up to the order, payments are never lost or doubled', () => {
  assertProperty(
    fc.property(scenario, (s) => {
      const { docs } = play(s)
      syncAll(docs, s.finalOrder)
      const { totals, order } = summarizeOrder(docs[0]!)
      const numbers: number[] = []
      JSON.stringify(totals, (_k, v: unknown) => (typeof v === 'number' && numbers.push(v), v))
      expect(numbers.every(Number.isSafeInteger)).toBe(true)
      const sum = (
        k: 'subtotal' | 'discounts' | 'comps' | 'exclusiveTax' | 'inclusiveTax' | 'total',
      ) => totals.checks.reduce((a, c) => a + c[k], 0)
      for (const k of [
        'subtotal',
        'discounts',
        'comps',
        'exclusiveTax',
        'inclusiveTax',
        'total',
      ] as const)
        expect(sum(k)).toBe(totals[k])
      expect(totals.total).toBe(
        totals.subtotal - totals.discounts - totals.comps + totals.exclusiveTax,
      )
      const payments = Object.values(order.payments)
      const refunds = Object.values(order.refunds)
      expect(totals.paid).toBe(
        payments.reduce((a, p) => a + p.amount, 0) - refunds.reduce((a, r) => a + r.amount, 0),
      )
      expect(totals.discounts + totals.comps).toBeLessThanOrEqual(totals.subtotal)
      expect(totals.balance).toBe(totals.total - totals.paid)
    }),
    60,
  )
})

test('merge is commutative, associative and idempotent; re-delivered changes change nothing', () => {
  assertProperty(
    fc.property(scenario, (s) => {
      const { docs } = play(s)
      const [a, b, c] = [docs[0]!, docs[1]!, docs[docs.length - 1]!]
      const same = (x: OrderDoc, y: OrderDoc) => {
        expect(A.getHeads(x).sort()).toEqual(A.getHeads(y).sort())
        expect(canonical(readOrder(x))).toBe(canonical(readOrder(y)))
      }
      const m = (x: OrderDoc, y: OrderDoc) => A.merge(A.clone(x), A.clone(y))
      same(m(a, b), m(b, a))
      same(m(m(a, b), c), m(a, m(b, c)))
      same(m(a, a), a)
      same(m(m(a, b), b), m(a, b))
      // Re-delivering every change of b to a twice adds nothing the first delivery did not.
      const changes = A.getAllChanges(b)
      const [once] = A.applyChanges(A.clone(a), changes)
      const [twice] = A.applyChanges(A.clone(once), changes)
      same(once, twice)
      for (const map of ENTRY_MAPS) {
        expect(Object.keys(readOrder(twice)[map]).length).toBe(
          Object.keys(readOrder(once)[map]).length,
        )
      }
    }),
    40,
  )
})

test('save/load and incremental save round-trip every replica', () => {
  assertProperty(
    fc.property(scenario, (s) => {
      const { docs } = play(s)
      for (const d of docs) {
        const loaded = A.load<OrderDoc>(A.save(d))
        expect(canonical(readOrder(loaded))).toBe(canonical(readOrder(d)))
        expect(A.getHeads(loaded).sort()).toEqual(A.getHeads(d).sort())
      }
      // Incremental: save a prefix, then only what changed since, and load both pieces.
      const d = docs[0]!
      const full = A.save(d)
      let grown = A.load<OrderDoc>(full)
      const r = applyOp(grown, device('dev-x'), {
        kind: 'add',
        item: 1,
        quantity: 1,
        seat: 0,
        course: 1,
      })
      grown = r.doc
      const increment = A.saveIncremental(grown)
      const joined = A.loadIncremental(A.load<OrderDoc>(full), increment)
      expect(canonical(readOrder(joined))).toBe(canonical(readOrder(grown)))
    }),
    30,
  )
})
