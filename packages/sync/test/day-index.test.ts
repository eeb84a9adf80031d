// Issue 15 on one device: the table hints its commands write, and a report at cold start that
// reads the summary cache instead of opening the day's orders.
import { Repo, type AutomergeUrl } from '@automerge/automerge-repo'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import {
  addLine,
  cancelOrder,
  closeOrder,
  digestOrder,
  newId,
  orderHint,
  reopenOrder,
  salesReport,
  summarizeOrder,
  takePayment,
  tableDayOrders,
  tableDayRefs,
  type OrderDoc,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type Device } from '../src/index.js'
import { tableDayOn } from './day-refs.js'
import { tempDir } from './relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function settle(d: Device, url: AutomergeUrl): Promise<void> {
  const balance = (await d.orderSummary(url)).totals.balance
  if (balance > 0) {
    await d.run(url, (doc, ctx) =>
      takePayment(doc, ctx, { key: newId(), tender: 'card', amount: balance }),
    )
  }
  await d.run(url, (doc, ctx) => closeOrder(doc, ctx))
}

async function legacyTableDoc(d: Device, tableId: string): Promise<TableDoc> {
  const handle = await d.repo.find<TableDoc>(d.store().tables[tableId]!.url as AutomergeUrl)
  return handle.doc()
}

/** Where the device files the day's references and hints: the table-day, or the table. */
async function hintsDoc(d: Device, tableId: string): Promise<TableDoc | TableDayDoc> {
  if (d.store().tableDaysFrom === undefined) return legacyTableDoc(d, tableId)
  return (await tableDayOn(d, tableId)).doc()
}

test.each([
  { store: 'on table-days', tableDaysFrom: undefined },
  { store: 'not opted in (table documents)', tableDaysFrom: null },
])(
  'close, cancel, combine and reopen write the hint; the day lists every check opened: a store $store',
  async ({ tableDaysFrom }) => {
    const d = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
    cleanups.push(() => d.close())
    await d.createStore({
      ...demoStoreInit('store-1', () => ''),
      tables: DEMO_TABLES,
      ...(tableDaysFrom === null ? { tableDaysFrom } : {}),
    })
    const paid = await d.openOrder('t4')
    const empty = await d.openOrder('t4')
    const kept = await d.openOrder('t4')
    const merged = await d.openOrder('t4')
    await d.run(paid.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' }))
    await d.run(kept.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
    await d.run(merged.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' }))
    // A line added to an open check writes nothing to the table.
    expect(orderHint(await hintsDoc(d, 't4'), paid.orderId)).toBeUndefined()

    await settle(d, paid.url)
    await d.run(empty.url, (doc, ctx) => cancelOrder(doc, ctx))
    await d.transferOrder(merged.url, kept.url)
    let table = await hintsDoc(d, 't4')
    expect(orderHint(table, paid.orderId)).toBe('closed')
    expect(orderHint(table, empty.orderId)).toBe('closed')
    expect(orderHint(table, merged.orderId)).toBe('closed')
    // The check that stays open has no hint, which reads as "open first".
    expect(orderHint(table, kept.orderId)).toBeUndefined()

    await d.run(paid.url, (doc, ctx) => reopenOrder(doc, ctx, { reason: 'wrong card' }))
    table = await hintsDoc(d, 't4')
    expect(orderHint(table, paid.orderId)).toBe('open')
    const opened = [paid, empty, kept, merged].map((o) => o.orderId).sort()
    if (tableDaysFrom === null) {
      const refs = tableDayRefs(table as TableDoc, d.businessDate())
      expect(refs.map((r) => r.ref.orderId).sort()).toEqual(opened)
      // Filed under the day, not only in the legacy map.
      const days = (table as unknown as { days: Record<string, Record<string, unknown>> }).days
      expect(Object.keys(days[d.businessDate()] ?? {})).toHaveLength(4)
    } else {
      expect(
        tableDayOrders(table as TableDayDoc)
          .map((r) => r.ref.orderId)
          .sort(),
      ).toEqual(opened)
      // Nothing in the (retired) table document.
      expect(Object.keys((await legacyTableDoc(d, 't4')).orders)).toEqual([])
    }
  },
)

test('a report at cold start reads the summary cache: no order opened, and exactly the order changed behind its back is opened', async () => {
  const dir = await tempDir()
  cleanups.push(dir.remove)
  const storage = { directory: dir.path }
  const first = await openDevice({ deviceId: 'till-1', storage, reopen: false })
  const { storeUrl } = await first.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const urls: AutomergeUrl[] = []
  for (const [i, table] of ['t1', 't2', 't3', 't4', 't5', 't6'].entries()) {
    const { url } = await first.openOrder(table, { guests: 2 })
    await first.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup', quantity: i + 1 }))
    if (i % 2 === 0) await settle(first, url)
    urls.push(url)
  }
  const date = first.businessDate()
  const before = await first.salesReport(date)
  expect(before.report.orderCount).toBe(6)
  await first.close()

  // The app starts again: the report is computed from the cache, no order document opened.
  const second = await openDevice({ deviceId: 'till-1', storage, storeUrl, reopen: false })
  await second.ready()
  const cold = await second.salesReport(date)
  expect(cold.day.opened).toBe(0)
  expect(cold.day.fromCache).toBe(6)
  expect(cold.report).toEqual(before.report)
  expect(urls.filter((u) => second.repo.handles[u.slice(10) as never]?.isReady())).toEqual([])
  await second.close()

  // A change lands in storage without the cache hearing of it (another process, or a crash
  // before the debounced cache write): that order's chunks moved, so it alone is opened.
  const other = new Repo({ storage: new NodeFSStorageAdapter(dir.path), network: [] })
  const changed = await other.find<OrderDoc>(urls[1]!)
  const ctx = {
    deviceId: 'till-9',
    clock: second.clock,
    store: second.store(),
  }
  changed.change((doc) => {
    addLine(doc, ctx, { itemId: 'beer', quantity: 3 })
  })
  await other.flush()
  const expected = digestOrder(summarizeOrder(changed.doc()))
  await other.shutdown()

  const third = await openDevice({ deviceId: 'till-1', storage, storeUrl, reopen: false })
  cleanups.push(() => third.close())
  await third.ready()
  const after = await third.salesReport(date)
  expect(after.day.opened).toBe(1)
  expect(after.day.fromCache).toBe(5)
  expect(after.day.orders.find((o) => o.url === urls[1])?.digest).toEqual(expected)
  expect(after.report.total).toBe(
    before.report.total +
      expected.totals.total -
      cold.day.orders.find((o) => o.url === urls[1])!.digest.totals.total,
  )
  // The same figures as core's report over every order opened fresh.
  const fresh = await Promise.all(urls.map(async (u) => (await third.orderSummary(u)).fullOrder))
  expect(after.report).toEqual(salesReport(fresh, third.store(), date))
}, 60_000)
