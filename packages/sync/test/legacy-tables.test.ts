// A store with history (issue 15, the legacy side): a store that opted in to table-days K days
// ago keeps its retired table documents, holding every reference of the period before, and K
// past days of table-days. Today's report reads neither a past day nor a retired table that did
// not change since it was last checked: it reads what a store with no past reads. A table whose
// heads moved (an older till that was apart files a check there, merged in after the check) is
// read again, and its check is in the report.
import * as A from '@automerge/automerge'
import {
  Repo,
  generateAutomergeUrl,
  type AutomergeUrl,
  type DocumentId,
  type StorageAdapterInterface,
  type StorageKey,
} from '@automerge/automerge-repo'
import {
  addLine,
  closeOrder,
  fileDayRef,
  formatHlc,
  newId,
  openOrder,
  startTableDays,
  takePayment,
  type OrderDoc,
  type StoreDoc,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { CURRENT_SCHEMA, schemaOf, tableDayChange } from '@tabsync/core/internal'
import { afterEach, expect, test } from 'vitest'
import { MemoryStorageAdapter, openDevice, type Device } from '../src/index.js'
import { tableDayId } from './day-refs.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const DAY_MS = 86_400_000
const idOf = (url: string) => url.slice('automerge:'.length) as DocumentId
const daysBefore = (date: string, k: number) =>
  new Date(Date.parse(`${date}T12:00:00Z`) - k * DAY_MS).toISOString().slice(0, 10)

async function eventually(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`never: ${what}`)
}

/** A reference as a till of the previous version files it in a table document. */
function fileAsOldTill(t: TableDoc, ref: { orderId: string; url: string; date: string }): void {
  const str = (v: string) => new A.ImmutableString(v)
  ;(t.orders as Record<string, unknown>)[ref.orderId] = {
    orderId: str(ref.orderId),
    url: str(ref.url),
    businessDate: str(ref.date),
    openedAt: str(formatHlc({ ms: Date.parse(`${ref.date}T12:00:00Z`), counter: 0, node: 'old' })),
    openedBy: str('till-old'),
  }
}

/** The memory storage, with the document ids whose content a reader loaded (listing is not). */
function countedStorage(inner: MemoryStorageAdapter) {
  const read = new Set<string>()
  const note = (key: StorageKey) => {
    const [id, kind] = key
    if (id && (kind === undefined || kind === 'snapshot' || kind === 'incremental')) read.add(id)
  }
  const adapter: StorageAdapterInterface & {
    listKeys: MemoryStorageAdapter['listKeys']
    listDocumentKeys: MemoryStorageAdapter['listDocumentKeys']
  } = {
    load: (key) => (note(key), inner.load(key)),
    save: (key, data) => inner.save(key, data),
    remove: (key) => inner.remove(key),
    loadRange: (prefix) => (note(prefix), inner.loadRange(prefix)),
    removeRange: (prefix) => inner.removeRange(prefix),
    listKeys: (prefix) => inner.listKeys(prefix),
    listDocumentKeys: (ids) => inner.listDocumentKeys(ids),
  }
  return { adapter, read }
}

interface Store {
  storage: MemoryStorageAdapter
  storeUrl: AutomergeUrl
  today: string
  tableIds: Set<string>
  pastDayIds: Set<string>
  todayUrls: AutomergeUrl[]
  /** Each table's heads before it was retired (what a till apart since then has). */
  unretired: Map<AutomergeUrl, A.Heads>
}

/**
 * A store that opted in `pastDays` days ago (0: today): before that, `legacyDays` days of
 * references in its table documents (as tills of the previous version filed them), then
 * `pastDays` days of table-days, then today's 6 checks (4 closed). Its tables retired.
 */
async function storeWith(pastDays: number, legacyDays: number): Promise<Store> {
  const storage = new MemoryStorageAdapter()
  const office = await openDevice({ deviceId: 'office', storage, reopen: false })
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
    tableDaysFrom: null,
  })
  const storeId = office.store().storeId
  const today = office.businessDate()
  const tables = Object.values(office.store().tables)
  for (const table of tables) {
    const handle = await office.repo.find<TableDoc>(table.url as AutomergeUrl)
    handle.change((t) => {
      for (let d = 1; d <= legacyDays; d++) {
        const date = daysBefore(today, pastDays + d)
        for (let i = 0; i < 3; i++) {
          fileAsOldTill(t, { orderId: newId(), url: generateAutomergeUrl(), date })
        }
      }
    })
  }
  await office.run<boolean, StoreDoc>(storeUrl, (s) =>
    startTableDays(s, daysBefore(today, pastDays)),
  )
  // Past days as this version's tills filed them, in their table-days (their orders elsewhere).
  const pastDayIds = new Set<string>()
  for (let d = 1; d <= pastDays; d++) {
    const date = daysBefore(today, d)
    for (const table of tables) {
      const id = await tableDayId(storeId, table.id, date)
      pastDayIds.add(id)
      const day = office.repo.import<TableDayDoc>(tableDayChange(storeId, table.id, date), {
        docId: id,
      })
      day.change((t) => {
        for (let i = 0; i < 3; i++) {
          fileDayRef(t, {
            orderId: newId(),
            url: generateAutomergeUrl(),
            businessDate: date,
            openedAt: formatHlc({
              ms: Date.parse(`${date}T12:00:00Z`),
              counter: 0,
              node: 'till-1',
            }),
            openedBy: 'till-1',
          })
        }
      })
    }
  }
  const todayUrls: AutomergeUrl[] = []
  for (const [i, table] of ['t1', 't2', 't3', 't4', 't5', 't6'].entries()) {
    const { url } = await office.openOrder(table)
    await office.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup', quantity: i + 1 }))
    if (i < 4) {
      const balance = (await office.orderSummary(url)).totals.balance
      await office.run(url, (doc, ctx) =>
        takePayment(doc, ctx, { key: newId(), tender: 'card', amount: balance }),
      )
      await office.run(url, (doc, ctx) => closeOrder(doc, ctx))
    }
    todayUrls.push(url)
  }
  const unretired = new Map<AutomergeUrl, A.Heads>()
  for (const table of tables) {
    const handle = await office.repo.find<TableDoc>(table.url as AutomergeUrl)
    unretired.set(table.url as AutomergeUrl, A.getHeads(handle.doc()))
  }
  // The office's first read of the day retires the tables (TableDays.adopt).
  await office.loadDay(today)
  const handles = await Promise.all(
    tables.map((t) => office.repo.find<TableDoc>(t.url as AutomergeUrl)),
  )
  await eventually(
    () => handles.every((h) => schemaOf(h.doc()) >= CURRENT_SCHEMA.table),
    'the tables retired',
  )
  await office.close()
  const tableIds = new Set(tables.map((t) => idOf(t.url)))
  return { storage, storeUrl, today, tableIds, pastDayIds, todayUrls, unretired }
}

type Reads = { tables: number; pastDays: number; other: number }

/**
 * What a device started on the store's storage reads for today's report (`salesReport`), then,
 * started again, for `loadDay`: the documents whose content it loaded, by kind.
 */
async function reportReads(
  store: Store,
): Promise<{ report: Reads; loadDay: Reads; orders: number }> {
  let orders = 0
  const report = await readsOf(store, async (d) => {
    orders = (await d.salesReport(store.today)).report.orderCount
  })
  const loadDay = await readsOf(store, async (d) => {
    expect((await d.loadDay(store.today)).orders).toHaveLength(orders)
  })
  return { report, loadDay, orders }
}

async function readsOf(store: Store, read: (device: Device) => Promise<void>): Promise<Reads> {
  const counted = countedStorage(store.storage)
  const device = await openDevice({
    deviceId: 'office',
    storage: counted.adapter,
    storeUrl: store.storeUrl,
    reopen: false,
  })
  cleanups.push(() => device.close())
  await device.ready()
  counted.read.clear()
  await read(device)
  await device.close()
  const ids = [...counted.read]
  return {
    tables: ids.filter((id) => store.tableIds.has(id)).length,
    pastDays: ids.filter((id) => store.pastDayIds.has(id)).length,
    other: ids.filter((id) => !store.tableIds.has(id) && !store.pastDayIds.has(id)).length,
  }
}

test('today’s report and loadDay on a store with 5 past days and a legacy period read what a store with no past reads: no past day, no unchanged retired table', async () => {
  const none = await storeWith(0, 0)
  const past = await storeWith(5, 4)
  const results = []
  for (const store of [none, past]) {
    // The first start reads the tables once (and records what they held); the next do not.
    const first = await reportReads(store)
    const second = await reportReads(store)
    results.push({ first, second })
    expect(first.orders).toBe(6)
    expect(second.orders).toBe(6)
    for (const reads of [first.report, first.loadDay, second.report, second.loadDay]) {
      expect(reads.pastDays).toBe(0)
    }
    // The first report read them; from then on, no retired table is read.
    expect(first.report.tables).toBe(18)
    expect([first.loadDay.tables, second.report.tables, second.loadDay.tables]).toEqual([0, 0, 0])
  }
  const [a, b] = results
  expect(b).toEqual(a)
})

test('a check an older till that was apart files in a retired table after the last check is in today’s report', async () => {
  const store = await storeWith(2, 2)
  const checked = await reportReads(store)
  expect(checked.orders).toBe(6)
  // A till of the previous version, apart since before the table was retired, opened a check on
  // t5 in its copy of the table; its change is merged into this storage afterwards.
  const office = await openDevice({
    deviceId: 'office',
    storage: store.storage,
    storeUrl: store.storeUrl,
    reopen: false,
  })
  await office.ready()
  const t5 = office.store().tables['t5']!.url as AutomergeUrl
  const old = openOrder(office.context(), { tableId: 't5' })
  const oldOrder = office.repo.create<OrderDoc>(old.doc)
  oldOrder.change((d) => void addLine(d, office.context(), { itemId: 'soup' }))
  await office.flush()
  await office.close()
  const other = new Repo({ storage: store.storage, network: [] })
  const table = await other.find<TableDoc>(t5)
  expect(schemaOf(table.doc())).toBe(CURRENT_SCHEMA.table)
  const apart = A.change(A.clone(A.view(table.doc(), store.unretired.get(t5)!)), (t) =>
    fileAsOldTill(t, { orderId: old.orderId, url: oldOrder.url, date: old.businessDate }),
  )
  table.update((d) => A.merge(d, apart))
  await other.flush()
  await other.shutdown()

  const again = await reportReads(store)
  // The older till's check counts; only the table that changed was read.
  expect(again.orders).toBe(7)
  expect(again.report.tables).toBe(1)
  expect(again.loadDay.tables).toBe(0)
})
