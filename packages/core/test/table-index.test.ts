// The table index (issue 15): references per business day and the open/closed hint, written by
// devices apart from each other and merged in any order.
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  attachOrder,
  formatHlc,
  initTableDoc,
  isTabsyncError,
  newId,
  orderHint,
  setOrderHint,
  tableDayRefs,
  withTableIndex,
  type OrderRef,
  type TableDoc,
} from '../src/index.js'
import { dayChange, tableIndexChange } from '../src/schema/table-index.js'
import { assertProperty } from './fuzz-budget.js'

const DATES = ['2026-12-01', '2026-12-02', '2026-12-03'] as const

function newTable(): A.Doc<TableDoc> {
  return A.from(initTableDoc('store-1', 't4') as unknown as Record<string, unknown>) as never
}

function ref(date: string, by = 'till-1'): OrderRef {
  const orderId = newId()
  return {
    orderId,
    url: `automerge:${orderId}`,
    businessDate: date,
    openedAt: formatHlc({ ms: Date.parse(`${date}T19:00:00Z`), counter: 0, node: by }),
    openedBy: by,
  }
}

/** What a device of this version does when it opens a check: index containers, then attach. */
function file(doc: A.Doc<TableDoc>, r: OrderRef): A.Doc<TableDoc> {
  return A.change(withTableIndex(doc, [r.businessDate]), (t) => attachOrder(t, r))
}

/** What a device of the previous version does: attach into `orders` only. */
function fileOld(doc: A.Doc<TableDoc>, r: OrderRef): A.Doc<TableDoc> {
  return A.change(doc, (t) => {
    ;(t.orders as Record<string, unknown>)[r.orderId] = {
      orderId: new A.ImmutableString(r.orderId),
      url: new A.ImmutableString(r.url),
      businessDate: new A.ImmutableString(r.businessDate),
      openedAt: new A.ImmutableString(r.openedAt),
      openedBy: new A.ImmutableString(r.openedBy),
    }
  })
}

const ids = (refs: { ref: OrderRef }[]) => refs.map((r) => r.ref.orderId).sort()

test('the index and day containers are one change with identical bytes on every device', () => {
  expect(tableIndexChange()).toEqual(tableIndexChange())
  const a = A.change(A.init<{ days?: unknown }>(), () => undefined)
  const [b] = A.applyChanges(a, [tableIndexChange(), dayChange('2026-12-02')])
  const [c] = A.applyChanges(A.init<{ days?: unknown }>(), [
    tableIndexChange(),
    dayChange('2026-12-02'),
  ])
  expect(A.getHeads(b)).toEqual(A.getHeads(A.merge(A.clone(b), a)))
  expect(A.getChanges(A.init(), c).length).toBe(2)
  expect(() => dayChange('2 Dec')).toThrow(/YYYY-MM-DD/)
})

test('two devices filing checks of the same day while apart merge to one day holding both', () => {
  const base = newTable()
  const r1 = ref('2026-12-02', 'till-1')
  const r2 = ref('2026-12-02', 'till-2')
  const one = file(A.clone(base, { actor: '01'.repeat(16) }), r1)
  const two = file(A.clone(base, { actor: '02'.repeat(16) }), r2)
  const merged = A.merge(A.clone(one), two)
  const days = (merged as unknown as { days: Record<string, unknown> }).days
  // One container: no concurrent values at the day's key that would hide a device's refs.
  expect(Object.keys(A.getConflicts(days as never, '2026-12-02') ?? {}).length).toBeLessThan(2)
  expect(ids(tableDayRefs(merged, '2026-12-02'))).toEqual([r1.orderId, r2.orderId].sort())
  expect(tableDayRefs(merged, '2026-12-01')).toEqual([])
})

test('references a device of the previous version filed (orders only) are found with the day', () => {
  let table = file(newTable(), ref('2026-12-02'))
  const old = ref('2026-12-02', 'old-till')
  const olderDay = ref('2026-12-01', 'old-till')
  table = fileOld(fileOld(table, old), olderDay)
  expect(ids(tableDayRefs(table, '2026-12-02'))).toContain(old.orderId)
  expect(ids(tableDayRefs(table, '2026-12-02'))).not.toContain(olderDay.orderId)
  expect(ids(tableDayRefs(table, '2026-12-01'))).toEqual([olderDay.orderId])
  expect(tableDayRefs(table, 'all')).toHaveLength(3)
})

test('a close on one device and a reopen on another leave the hint open: a wrong hint never hides', () => {
  const r = ref('2026-12-02')
  const base = A.change(withTableIndex(file(newTable(), r)), (t) => {
    setOrderHint(t, r.orderId, 'open')
  })
  const a = A.change(A.clone(base, { actor: '0a'.repeat(16) }), (t) => {
    setOrderHint(t, r.orderId, 'closed')
  })
  const b = A.change(A.clone(base, { actor: '0b'.repeat(16) }), (t) => {
    setOrderHint(t, r.orderId, 'closed')
  })
  const c = A.change(A.clone(base, { actor: '0c'.repeat(16) }), (t) => {
    // Unchanged hint: nothing written, so nothing to conflict with.
    expect(setOrderHint(t, r.orderId, 'open')).toBe(false)
  })
  expect(orderHint(A.merge(A.clone(a), b), r.orderId)).toBe('closed')
  expect(orderHint(A.merge(A.clone(a), c), r.orderId)).toBe('closed')
  const reopened = A.change(A.clone(base, { actor: '0d'.repeat(16) }), (t) => {
    setOrderHint(t, r.orderId, 'closed')
  })
  const again = A.change(reopened, (t) => {
    setOrderHint(t, r.orderId, 'open')
  })
  expect(orderHint(A.merge(A.clone(a), again), r.orderId)).toBe('open')
  expect(orderHint(A.merge(A.clone(again), a), r.orderId)).toBe('open')
})

test('bad hint input is a typed error and writes nothing', () => {
  const r = ref('2026-12-02')
  const table = file(newTable(), r)
  const heads = A.getHeads(table)
  for (const [id, hint] of [
    ['bad id!', 'open'],
    [r.orderId, 'paid'],
  ] as const) {
    let error: unknown
    const after = A.change(table, (t) => {
      try {
        setOrderHint(t, id, hint as never)
      } catch (e) {
        error = e
      }
    })
    expect(isTabsyncError(error, 'invalid-input')).toBe(true)
    expect(A.getHeads(after)).toEqual(heads)
  }
  let error: unknown
  A.change(newTable(), (t) => {
    try {
      setOrderHint(t, r.orderId, 'open')
    } catch (e) {
      error = e
    }
  })
  expect(isTabsyncError(error, 'invalid-input')).toBe(true)
})

test('any devices of both versions filing and hinting apart, merged in any order: every day lists exactly its references', () => {
  const action = fc.record({
    device: fc.integer({ min: 0, max: 3 }),
    date: fc.constantFrom(...DATES),
    old: fc.boolean(),
    hint: fc.constantFrom(undefined, 'open', 'closed'),
    merge: fc.integer({ min: 0, max: 3 }),
  })
  assertProperty(
    fc.property(
      fc.array(action, { minLength: 1, maxLength: 16 }),
      fc.boolean(),
      (actions, flip) => {
        const base = newTable()
        const replicas = [0, 1, 2, 3].map((i) =>
          A.clone(base, {
            actor: String(i + 1)
              .padStart(2, '0')
              .repeat(16),
          }),
        )
        const filed: OrderRef[] = []
        for (const a of actions) {
          const r = ref(a.date, `till-${a.device}`)
          filed.push(r)
          let doc = a.old ? fileOld(replicas[a.device]!, r) : file(replicas[a.device]!, r)
          if (a.hint && !a.old) {
            const h = a.hint
            doc = A.change(withTableIndex(doc), (t) => {
              setOrderHint(t, r.orderId, h)
            })
          }
          // Sometimes a device hears from another one before going on.
          if (a.merge !== a.device) doc = A.merge(doc, replicas[a.merge]!)
          replicas[a.device] = doc
        }
        const order = flip ? [...replicas].reverse() : replicas
        const merged = order.slice(1).reduce((acc, r) => A.merge(acc, r), A.clone(order[0]!))
        const other = replicas.slice(1).reduce((acc, r) => A.merge(acc, r), A.clone(replicas[0]!))
        expect(A.getHeads(merged).sort()).toEqual(A.getHeads(other).sort())
        for (const date of DATES) {
          const want = filed.filter((r) => r.businessDate === date).map((r) => r.orderId)
          expect(ids(tableDayRefs(merged, date))).toEqual(want.sort())
        }
        const days = (merged as unknown as { days?: Record<string, unknown> }).days ?? {}
        for (const date of Object.keys(days)) {
          expect(Object.keys(A.getConflicts(days as never, date) ?? {}).length).toBeLessThan(2)
        }
      },
    ),
    15,
  )
})
