import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  addLine,
  isTabsyncError,
  readOrder,
  runCommand,
  summarizeOrder,
  type OrderDoc,
  attachOrder,
  decode,
  formatHlc,
  initTableDoc,
  newId,
  setOrderHint,
  tableDayRefs,
  withTableIndex,
  type TableData,
  type TableDoc,
} from '../src/index.js'
import { encode } from '../src/schema/encoding.js'
import {
  assertWritable,
  CURRENT_SCHEMA,
  LEGACY_TABLE_SCHEMA,
  retireTable,
  migrate,
  migrationRegistry,
  MIGRATIONS,
  pendingMigrations,
  schemaOf,
} from '../src/internal.js'
import { compatibility, newerContent } from '../src/schema/compat.js'
import { migrationChange, type Migration } from '../src/schema/migrations.js'
import { assertProperty } from './fuzz-budget.js'
import { readFileSync } from 'node:fs'
import { canonical, device, newOrderDoc } from './helpers.js'
import { applyOp, opArb, type Created } from './order-ops.js'

/*
 * A mixed-version fleet: devices of version N (this release's registry) and N+1 (one more
 * order schema step, adding an entry kind N does not know) edit the same order while apart.
 */

const NOW = CURRENT_SCHEMA.order
const NEXT = NOW + 1

/** The order schema step of a hypothetical next version: a new `extras` entry map. */
function extrasStep(): Migration {
  return {
    kind: 'order',
    from: NOW,
    to: NEXT,
    description: 'extras: service charges the next version adds',
    adds: ['extras'],
    apply: (root) => {
      root['extras'] = {}
    },
  }
}
const V_N = MIGRATIONS

/** An order saved by release 0.1 (schema 1), from the committed fixtures. */
function releaseOrder(): OrderDoc {
  const url = new URL('./fixtures/release-0.1/order-open.automerge', import.meta.url)
  return A.load<OrderDoc>(new Uint8Array(readFileSync(url)))
}
const V_N1 = migrationRegistry([...MIGRATIONS.steps, extrasStep()])

/** The tills of the version before table-day documents: no table schema step. */
const BEFORE_TABLE_DAYS = migrationRegistry(MIGRATIONS.steps.filter((s) => s.kind !== 'table'))

/** What a version N+1 device writes into the entry kind version N does not know. */
function addExtra(doc: OrderDoc, id: string, amount: number): void {
  ;(doc as unknown as { extras: Record<string, unknown> }).extras[id] = { amount }
}

test('a migration step is one change with identical bytes on every device', () => {
  const a = migrationChange(extrasStep())
  const b = migrationChange(extrasStep())
  expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
  const decoded = A.decodeChange(a)
  expect(decoded.deps).toEqual([])
  expect(decoded.time).toBe(0)
  expect(decoded.seq).toBe(1)
})

test('two devices migrating the same order while apart merge to one migration and keep both devices entries', () => {
  const till = device('till-1')
  const base = newOrderDoc(till)
  let x = migrate(A.clone(base), V_N1)
  let y = migrate(A.clone(base), V_N1)
  x = A.change(x, (d) => addExtra(d, 'e1', 100))
  y = A.change(y, (d) => addExtra(d, 'e2', 200))
  const merged = A.merge(A.clone(x), y)
  expect(schemaOf(merged)).toBe(NEXT)
  // One `extras` map, not two of which one hides the other's entries (CatColab#643).
  expect(Object.keys(A.getConflicts(merged, 'extras' as never) ?? {}).length).toBeLessThanOrEqual(1)
  expect(Object.keys((merged as unknown as { extras: object }).extras).sort()).toEqual(['e1', 'e2'])
  const migrationChanges = A.getAllChanges(merged)
    .map((c) => A.decodeChange(c))
    .filter((c) => c.message?.startsWith('tabsync migration'))
  expect(migrationChanges).toHaveLength(1)
})

test('the schema of a migrated document is the highest of its concurrent values', () => {
  const base = newOrderDoc(device('till-1'))
  const migrated = migrate(A.clone(base), V_N1)
  expect(Object.values(A.getConflicts(migrated, 'schema') ?? {}).sort()).toEqual([NOW, NEXT])
  expect(schemaOf(migrated)).toBe(NEXT)
  expect(readOrder(migrated).schema).toBe(NEXT)
})

test('a device refuses to write into an order of a newer schema and leaves it untouched', () => {
  const till = device('till-1')
  const newer = migrate(newOrderDoc(till), V_N1)
  expect(compatibility(newer, V_N)).toBe('newer')
  expect(compatibility(newer, V_N1)).toBe('current')
  expect(compatibility(newOrderDoc(till), V_N1)).toBe('older')
  expect(compatibility(releaseOrder(), V_N)).toBe('older')
  const heads = A.getHeads(newer)
  let error: unknown
  try {
    runCommand(newer, (d) => addLine(d, till, { itemId: 'fries' }), V_N)
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'newer-schema')).toBe(true)
  expect((error as Error).message).toContain('update this device')
  expect(A.getHeads(newer)).toEqual(heads)
  expect(() => assertWritable(newer, V_N1)).not.toThrow()
})

test('an older device shows what a newer version added as needs attention, never as settled', () => {
  const till = device('till-1')
  let doc = runCommand(newOrderDoc(till), (d) => addLine(d, till, { itemId: 'fries' }), V_N1).doc
  doc = A.change(doc, (d) => addExtra(d, 'e1', 250))
  expect(newerContent(doc, V_N)).toEqual({ keys: ['extras'], entries: 1 })
  const old = summarizeOrder(doc, V_N)
  expect(old.status.status).toBe('needs-attention')
  expect(old.status.reasons[0]).toContain('1 entry from a newer version')
  const current = summarizeOrder(doc, V_N1)
  expect(current.newer.entries).toBe(0)
  expect(current.status.status).not.toBe('needs-attention')
})

test('a registry with a gap is refused, and a document with no step to its schema is corrupt', () => {
  expect(() => migrationRegistry([{ ...extrasStep(), from: NEXT, to: NEXT + 1 }])).toThrow(
    /next step/,
  )
  const doc = A.from({ schema: 0, kind: 'order' })
  let error: unknown
  try {
    pendingMigrations(doc, V_N1)
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'corrupt')).toBe(true)
})

/** Ancestors of a change (by hash) in a document's history. */
function ancestors(doc: A.Doc<unknown>): (hash: string) => Set<string> {
  const deps = new Map(
    A.getAllChanges(doc).map((c) => {
      const d = A.decodeChange(c)
      return [d.hash, d.deps] as const
    }),
  )
  return (hash) => {
    const seen = new Set<string>()
    const stack = [...(deps.get(hash) ?? [])]
    while (stack.length > 0) {
      const h = stack.pop()!
      if (seen.has(h)) continue
      seen.add(h)
      stack.push(...(deps.get(h) ?? []))
    }
    return seen
  }
}

const fleet = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    versions: fc.array(fc.constantFrom('N', 'N+1'), { minLength: n, maxLength: n }),
    fromRelease: fc.boolean(),
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
            kind: fc.constant('extra' as const),
            replica: fc.nat({ max: n - 1 }),
            amount: fc.integer({ min: 1, max: 5000 }),
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
      { minLength: 1, maxLength: 30 },
    ),
    mergeOrder: fc.shuffledSubarray(
      Array.from({ length: n }, (_, i) => i),
      { minLength: n, maxLength: n },
    ),
  }),
)

test('a fleet of version N and N+1 devices editing while apart loses nothing, converges, migrates once, and N never writes into what it cannot read', () => {
  assertProperty(
    fc.property(fleet, (s) => {
      const ctxs = s.versions.map((_, i) =>
        device(`dev-${i}`, { startMs: Date.UTC(2026, 10, 20, 18) + i * 5000 }),
      )
      const registries = s.versions.map((v) => (v === 'N' ? V_N : V_N1))
      // Half the time the order was saved by release 0.1 (schema 1): both versions migrate it.
      const base = s.fromRelease ? releaseOrder() : newOrderDoc(ctxs[0]!)
      const docs = ctxs.map(() => A.load<OrderDoc>(A.save(base)))
      const nActors = new Set(
        docs.filter((_, i) => s.versions[i] === 'N').map((d) => A.getActorId(d)),
      )
      const created: Created[] = []
      const extras: string[] = []
      for (const step of s.steps) {
        if (step.kind === 'sync') {
          if (step.from !== step.to)
            docs[step.to] = A.merge(docs[step.to]!, A.clone(docs[step.from]!))
          continue
        }
        const i = step.replica
        const registry = registries[i]!
        // What every device does (runCommand, device.run): never write into a newer schema.
        if (compatibility(docs[i], registry) === 'newer') continue
        const doc = migrate(docs[i]!, registry)
        if (step.kind === 'op') {
          const r = applyOp(doc, ctxs[i]!, step.op)
          docs[i] = r.doc
          created.push(...r.created)
        } else if (registry === V_N1) {
          const id = `x${extras.length}`
          extras.push(id)
          docs[i] = A.change(doc, (d) => addExtra(d, id, step.amount))
        } else {
          docs[i] = doc
        }
      }
      // Every replica merges every other, in the generated order.
      const merged = s.mergeOrder.map((i) =>
        s.mergeOrder.reduce((acc, j) => A.merge(acc, A.clone(docs[j]!)), A.clone(docs[i]!)),
      )
      const first = merged[0]!
      for (const doc of merged) {
        expect(A.getHeads(doc).sort()).toEqual(A.getHeads(first).sort())
        expect(canonical(readOrder(doc))).toBe(canonical(readOrder(first)))
      }
      const order = readOrder(first)
      for (const c of created) expect(order[c.map][c.id], `${c.map} ${c.id}`).toBeDefined()
      const extrasMap = (first as unknown as { extras?: Record<string, unknown> }).extras ?? {}
      expect(Object.keys(extrasMap).sort()).toEqual([...extras].sort())
      const history = A.getAllChanges(first).map((c) => A.decodeChange(c))
      const migrations = history.filter((c) => c.message?.startsWith('tabsync migration'))
      // Each step at most once, however many devices applied it.
      expect(new Set(migrations.map((c) => c.hash)).size).toBe(migrations.length)
      expect(new Set(migrations.map((c) => c.message)).size).toBe(migrations.length)
      const next = migrations.filter((c) => c.message?.endsWith(`→${NEXT}`))
      if (extras.length > 0) {
        expect(next).toHaveLength(1)
        expect(
          Object.keys(A.getConflicts(first, 'extras' as never) ?? {}).length,
        ).toBeLessThanOrEqual(1)
      }
      // No version N change was made on top of the migration (it could not read the result).
      const migration = next[0]
      if (migration) {
        const ancestorsOf = ancestors(first)
        for (const change of history) {
          if (!nActors.has(change.actor)) continue
          expect(ancestorsOf(change.hash).has(migration.hash)).toBe(false)
        }
      }
      // An N device shows the newer entries and never a settled status while they exist.
      const old = summarizeOrder(first, V_N)
      if (extras.length > 0) {
        expect(old.newer.entries).toBe(extras.length)
        expect(old.status.status).toBe('needs-attention')
      }
    }),
    40,
  )
})

test('the table index is not a schema step: a till of the previous version keeps reading every check on an indexed table and keeps writing to it', () => {
  const date = '2026-12-02'
  const ref = (by: string) => {
    const orderId = newId()
    return {
      orderId,
      url: `automerge:${orderId}`,
      businessDate: date,
      openedAt: formatHlc({ ms: Date.UTC(2026, 11, 2, 19), counter: 0, node: by }),
      openedBy: by,
    }
  }
  const base = A.from(
    initTableDoc('store-1', 't4') as unknown as Record<string, unknown>,
  ) as A.Doc<TableDoc>
  // This version: the day's container, the reference, and a hint.
  const fresh = ref('till-new')
  let current = A.change(withTableIndex(A.clone(base), [date]), (t) => attachOrder(t, fresh))
  current = A.change(current, (t) => {
    setOrderHint(t, fresh.orderId, 'closed')
  })
  // The previous version writes `orders` only (its attachOrder), on its own replica.
  const old = ref('till-old')
  const previous = A.change(A.clone(base), (t) => {
    ;(t.orders as Record<string, unknown>)[old.orderId] = encode(old)
  })
  const merged = A.merge(A.clone(current), previous)
  // Still schema 1: the previous version (no table step) may write into it; so may this one
  // (schema 2 only marks a table retired by a store on table-days).
  expect(schemaOf(merged)).toBe(1)
  expect(compatibility(merged, BEFORE_TABLE_DAYS)).toBe('current')
  expect(() => assertWritable(merged, BEFORE_TABLE_DAYS)).not.toThrow()
  expect(() => assertWritable(merged)).not.toThrow()
  // What the previous version reads: every check, this version's too.
  expect(Object.keys(decode<TableData>(merged).orders).sort()).toEqual(
    [fresh.orderId, old.orderId].sort(),
  )
  // What this version reads for the day: both, the previous version's found in `orders`.
  expect(
    tableDayRefs(merged, date)
      .map((r) => r.ref.orderId)
      .sort(),
  ).toEqual([fresh.orderId, old.orderId].sort())
})

test('a retired table (its store on table-days) is refused by a till of the previous version with newer-schema, stays readable to it, and retiring apart merges to one change', () => {
  const date = '2026-12-03'
  const orderId = newId()
  const old = {
    orderId,
    url: `automerge:${orderId}`,
    businessDate: date,
    openedAt: formatHlc({ ms: Date.UTC(2026, 11, 3, 19), counter: 0, node: 'till-old' }),
    openedBy: 'till-old',
  }
  // A table of a store that has not opted in: schema 1, which the previous version writes.
  const base = A.change(
    A.from(initTableDoc('store-1', 't4') as unknown as Record<string, unknown>) as A.Doc<TableDoc>,
    (t) => {
      ;(t.orders as Record<string, unknown>)[old.orderId] = encode(old)
    },
  )
  expect(schemaOf(base)).toBe(LEGACY_TABLE_SCHEMA)
  expect(() => assertWritable(base, BEFORE_TABLE_DAYS)).not.toThrow()
  // Two devices of this version retire it while apart: the same change, merged to one.
  const a = retireTable(A.clone(base, { actor: 'aa'.repeat(16) }))
  const b = retireTable(A.clone(base, { actor: 'bb'.repeat(16) }))
  const merged = A.merge(A.clone(a), b)
  expect(A.getHeads(a)).toEqual(A.getHeads(b))
  expect(schemaOf(merged)).toBe(CURRENT_SCHEMA.table)
  expect(retireTable(merged)).toBe(merged)
  let error: unknown
  try {
    assertWritable(merged, BEFORE_TABLE_DAYS)
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'newer-schema')).toBe(true)
  expect((error as Error).message).toMatch(/update this device/)
  // This version still writes it (a hint of a check of a day before the store opted in).
  expect(() => assertWritable(merged)).not.toThrow()
  // Readers of both versions still see every reference.
  expect(Object.keys(decode<TableData>(merged).orders)).toEqual([old.orderId])
})
