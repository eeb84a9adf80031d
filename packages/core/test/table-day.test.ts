// Table-day documents (issue 15): one table's references of one business day, created by any
// device while apart under the same computed id, merged in any order.
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  fileDayRef,
  formatHlc,
  initStoreDoc,
  isTabsyncError,
  newId,
  orderHint,
  setOrderHint,
  startTableDays,
  tableDayOrders,
  tableDaysFrom,
  usesTableDays,
  type OrderRef,
  type StoreDoc,
  type TableDayDoc,
} from '../src/index.js'
import { isIdOfStore, tableDayChange, tableDayIdBytes } from '../src/internal.js'
import { demoStoreInit } from '../src/demo.js'
import { assertProperty } from './fuzz-budget.js'

const DATE = '2026-12-03'

/** What a device does when it has no copy of the table-day: load the deterministic change. */
function created(actor: string, storeId = 'store-1', tableId = 't4'): A.Doc<TableDayDoc> {
  const [doc] = A.applyChanges(A.init<TableDayDoc>({ actor }), [
    tableDayChange(storeId, tableId, DATE),
  ])
  return doc
}

function ref(by: string, date = DATE): OrderRef {
  const orderId = newId()
  return {
    orderId,
    url: `automerge:${orderId}`,
    businessDate: date,
    openedAt: formatHlc({ ms: Date.parse(`${date}T19:00:00Z`), counter: 0, node: by }),
    openedBy: by,
  }
}

test('every device computes the same table-day id, bound to its store and refused to another', async () => {
  const a = await tableDayIdBytes('store-1', 't4', DATE)
  expect(await tableDayIdBytes('store-1', 't4', DATE)).toEqual(a)
  // Another table, day or store is another document.
  expect(await tableDayIdBytes('store-1', 't5', DATE)).not.toEqual(a)
  expect(await tableDayIdBytes('store-1', 't4', '2026-12-04')).not.toEqual(a)
  expect(await tableDayIdBytes('store-2', 't4', DATE)).not.toEqual(a)
  expect(await isIdOfStore(a, 'store-1')).toBe(true)
  expect(await isIdOfStore(a, 'store-2')).toBe(false)
})

test('a table-day created on two devices apart is one change: the merge has one root and both refs', () => {
  expect(tableDayChange('store-1', 't4', DATE)).toEqual(tableDayChange('store-1', 't4', DATE))
  const first = ref('till-1')
  const second = ref('till-2')
  const a = A.change(created('aa'.repeat(16)), (d) => void fileDayRef(d, first))
  const b = A.change(created('bb'.repeat(16)), (d) => void fileDayRef(d, second))
  const merged = A.merge(A.clone(a), b)
  expect(
    A.getAllChanges(merged).filter(
      (c) => A.decodeChange(c).seq === 1 && A.decodeChange(c).message === 'tabsync table day',
    ),
  ).toHaveLength(1)
  expect(
    tableDayOrders(merged)
      .map((h) => h.ref.orderId)
      .sort(),
  ).toEqual([first.orderId, second.orderId].sort())
})

test('bad input to a table-day is a typed error and writes nothing', () => {
  const doc = created('aa'.repeat(16))
  const heads = A.getHeads(doc)
  for (const bad of [
    { ...ref('till-1'), orderId: 'not an id!' },
    ref('till-1', '2026-12-04'), // another day's reference
  ]) {
    let error: unknown
    const after = A.change(doc, (d) => {
      try {
        fileDayRef(d, bad)
      } catch (e) {
        error = e
      }
    })
    expect(isTabsyncError(error, 'invalid-input')).toBe(true)
    expect(A.getHeads(after)).toEqual(heads)
  }
  expect(() => tableDayChange('store-1', 't4', '3 Dec')).toThrow(/YYYY-MM-DD/)
})

test('any devices creating, filing and hinting one table-day apart, merged in any order: every ref kept, one root', () => {
  const action = fc.record({
    device: fc.integer({ min: 0, max: 3 }),
    hint: fc.constantFrom(undefined, 'open', 'closed'),
    hears: fc.integer({ min: 0, max: 3 }),
  })
  assertProperty(
    fc.property(
      fc.integer({ min: 2, max: 4 }),
      fc.array(action, { minLength: 1, maxLength: 14 }),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      (n, actions, order) => {
        // A device has no copy until it files or hears of one: it creates the table-day then.
        const replicas: (A.Doc<TableDayDoc> | undefined)[] = Array.from(
          { length: n },
          () => undefined,
        )
        const actor = (i: number) =>
          String(i + 1)
            .padStart(2, '0')
            .repeat(16)
        const filed: OrderRef[] = []
        for (const a of actions) {
          const i = a.device % n
          let doc = replicas[i] ?? created(actor(i))
          const r = ref(`till-${i}`)
          filed.push(r)
          doc = A.change(doc, (d) => void fileDayRef(d, r))
          if (a.hint) {
            const h = a.hint
            doc = A.change(doc, (d) => void setOrderHint(d, r.orderId, h))
          }
          const other = replicas[a.hears % n]
          if (other && a.hears % n !== i) doc = A.merge(doc, A.clone(other))
          replicas[i] = doc
        }
        const present = replicas.filter((r): r is A.Doc<TableDayDoc> => r !== undefined)
        // Two merge orders: by the generated permutation and reversed.
        const sorted = present
          .map((doc, i) => ({ doc, key: order[i % order.length]! }))
          .sort((x, y) => x.key - y.key)
          .map((x) => x.doc)
        const mergeAll = (docs: A.Doc<TableDayDoc>[]) =>
          docs.slice(1).reduce((acc, d) => A.merge(acc, A.clone(d)), A.clone(docs[0]!))
        const merged = mergeAll(sorted)
        const other = mergeAll([...sorted].reverse())
        expect(A.getHeads(merged).sort()).toEqual(A.getHeads(other).sort())
        expect(
          tableDayOrders(merged)
            .map((h) => h.ref.orderId)
            .sort(),
        ).toEqual(filed.map((r) => r.orderId).sort())
        // One root container each, whoever created the document.
        for (const key of ['orders', 'hints'] as const) {
          expect(Object.keys(A.getConflicts(merged, key) ?? {}).length).toBeLessThan(2)
        }
        for (const r of filed)
          expect(['open', 'closed', undefined]).toContain(orderHint(merged, r.orderId))
      },
    ),
    25,
  )
})

function store(): A.Doc<StoreDoc> {
  return A.from(
    initStoreDoc(demoStoreInit('store-1', (t) => `automerge:${t}`)) as unknown as Record<
      string,
      unknown
    >,
  ) as A.Doc<StoreDoc>
}

test('a store opts in to table-days once, only ever earlier; two managers apart keep the earliest date', () => {
  const base = store()
  expect(tableDaysFrom(base)).toBeUndefined()
  let a = A.change(A.clone(base), (s) => void startTableDays(s, '2026-12-05'))
  expect(tableDaysFrom(a)).toBe('2026-12-05')
  // A later date changes nothing: readers of the days between would miss table-day refs.
  const heads = A.getHeads(a)
  a = A.change(a, (s) => void startTableDays(s, '2026-12-09'))
  expect(A.getHeads(a)).toEqual(heads)
  const b = A.change(A.clone(base), (s) => void startTableDays(s, '2026-12-07'))
  for (const merged of [A.merge(A.clone(a), b), A.merge(A.clone(b), a)]) {
    expect(tableDaysFrom(merged)).toBe('2026-12-05')
  }
  const plain = { tableDaysFrom: '2026-12-05' } as Parameters<typeof usesTableDays>[0]
  expect(usesTableDays(plain, '2026-12-04')).toBe(false)
  expect(usesTableDays(plain, '2026-12-05')).toBe(true)
  let error: unknown
  A.change(A.clone(base), (s) => {
    try {
      startTableDays(s, 'tomorrow')
    } catch (e) {
      error = e
    }
  })
  expect(isTabsyncError(error, 'invalid-input')).toBe(true)
})
