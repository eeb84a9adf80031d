import * as A from '@automerge/automerge'
import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import {
  addLine,
  decode,
  readOrder,
  runCommand,
  summarizeOrder,
  transferOrder,
  type OrderData,
  type OrderDoc,
  type StoreData,
  type TableData,
} from '../src/index.js'
import { CURRENT_SCHEMA, migrate, schemaOf } from '../src/internal.js'
import { canonical, device, newOrderDoc } from './helpers.js'

/*
 * Documents saved by release 0.1 (schema 1), committed once and never regenerated (see
 * fixtures/release-0.1/README.md), opened by this version: nothing the old release wrote is lost
 * or read differently, and they are raised to the current schema before anything is written.
 */

const dir = new URL('./fixtures/release-0.1/', import.meta.url)
const load = <T>(name: string) => A.load<T>(new Uint8Array(readFileSync(new URL(name, dir))))
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as {
  reopened: { status: string; total: number; paid: number; balance: number; lines: number }
  open: { total: number }
}

/** Every entry of every schema-1 map, as plain data: what must survive any migration. */
function v1Entries(order: OrderData): string {
  const { schema: _schema, ...rest } = order
  return canonical(rest)
}

test('an order saved by release 0.1 derives the same status and money as release 0.1 did', () => {
  const doc = load<OrderDoc>('order-reopened.automerge')
  expect(schemaOf(doc)).toBe(1)
  const s = summarizeOrder(doc)
  expect({
    status: s.status.status,
    total: s.totals.total,
    paid: s.totals.paid,
    balance: s.totals.balance,
    lines: s.lines.length,
  }).toEqual(expected.reopened)
  expect(s.newer.entries).toBe(0)
  expect(summarizeOrder(load<OrderDoc>('order-open.automerge')).totals.total).toBe(
    expected.open.total,
  )
})

test('an order saved by release 0.1 is raised to the current schema keeping every entry, then takes new lines', () => {
  const doc = load<OrderDoc>('order-reopened.automerge')
  const before = readOrder(doc)
  const migrated = migrate(doc)
  expect(schemaOf(migrated)).toBe(CURRENT_SCHEMA.order)
  for (const [key, value] of Object.entries(before)) {
    if (key === 'schema') continue
    expect(canonical((readOrder(migrated) as unknown as Record<string, unknown>)[key])).toBe(
      canonical(value),
    )
  }
  const till = device('till-9')
  const { doc: next, result: lineId } = runCommand(
    load<OrderDoc>('order-reopened.automerge'),
    (d) => addLine(d, till, { itemId: 'tiramisu' }),
  )
  expect(readOrder(next).lines[lineId]?.name).toBeDefined()
  expect(v1Entries(readOrder(next))).toContain(lineId)
})

test('the store and table documents of release 0.1 decode with every table and order reference', () => {
  const store = decode<StoreData>(load<never>('store.automerge'))
  expect(Object.keys(store.tables)).toHaveLength(18)
  expect(Object.keys(store.items)).toHaveLength(31)
  expect(store.schema).toBeLessThanOrEqual(CURRENT_SCHEMA.store)
  const table = decode<TableData>(load<never>('table-t4.automerge'))
  expect(Object.keys(table.orders)).toHaveLength(1)
  expect(table.schema).toBeLessThanOrEqual(CURRENT_SCHEMA.table)
})

test('two devices that combine the same release 0.1 check into their own new checks while apart migrate it once and move its lines once', () => {
  const x = device('till-1')
  const y = device('till-2')
  const combine = (ctx: ReturnType<typeof device>) => {
    let source = migrate(load<OrderDoc>('order-open.automerge'))
    let target = newOrderDoc(ctx, 't2')
    target = A.change(target, (t) => {
      source = A.change(source, (s) => {
        transferOrder(s, t, ctx)
      })
    })
    return { source, target }
  }
  const onX = combine(x)
  const onY = combine(y)
  const source = A.merge(A.clone(onX.source), onY.source)
  expect(schemaOf(source)).toBe(CURRENT_SCHEMA.order)
  const migrations = A.getAllChanges(source)
    .map((c) => A.decodeChange(c))
    .filter((c) => c.message?.startsWith('tabsync migration'))
  expect(migrations).toHaveLength(1)
  // Both devices' transfer entries are in the one `transfers` map the migration made.
  expect(Object.keys(readOrder(source).transfers)).toHaveLength(2)
  const lineIds = Object.keys(readOrder(load<OrderDoc>('order-open.automerge')).lines)
  const totals = [onX.target, onY.target].map((t) => summarizeOrder(t).totals.total)
  const left = summarizeOrder(source)
  expect(left.lines).toHaveLength(0)
  expect(totals.every((t) => t === expected.open.total)).toBe(true)
  expect(lineIds).toHaveLength(1)
})
