// Where a test finds a store's order references: the table documents, and the table-days of a
// store on table-days (core's table-day.ts), whose ids every device computes.
import {
  interpretAsDocumentId,
  type BinaryDocumentId,
  type DocumentId,
  type Repo,
} from '@automerge/automerge-repo/slim'
import {
  businessDate,
  decode,
  type OrderRef,
  type StoreData,
  type StoreDoc,
  type TableData,
  type TableDayData,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import { tableDayIdBytes } from '@tabsync/core/internal'
import type { Device } from '../src/index.js'
import { findDoc } from '../src/docs/find-doc.js'

const DAY_MS = 86_400_000

/** The document id of a table's table-day. */
export async function tableDayId(
  storeId: string,
  tableId: string,
  date: string,
): Promise<DocumentId> {
  return interpretAsDocumentId((await tableDayIdBytes(storeId, tableId, date)) as BinaryDocumentId)
}

/** The table-day `device` files a table's references of today in, once it has it. */
export async function tableDayOn(device: Device, tableId: string) {
  const id = await tableDayId(device.store().storeId, tableId, device.businessDate())
  return findDoc<TableDayDoc>(device.repo, id)
}

/** The table-days of every table of `store` for yesterday, today and tomorrow by `now`. */
export async function tableDayIds(
  store: StoreData,
  now = Date.now(),
): Promise<{ tableId: string; id: DocumentId }[]> {
  if (store.tableDaysFrom === undefined) return []
  const out: { tableId: string; id: DocumentId }[] = []
  for (const t of Object.values(store.tables)) {
    for (const ms of [now - DAY_MS, now, now + DAY_MS]) {
      out.push({
        tableId: t.id,
        id: await tableDayId(store.storeId, t.id, businessDate(ms, store)),
      })
    }
  }
  return out
}

/**
 * Every order reference `repo` holds for the store (through its store document): in the table
 * documents and in the table-days of yesterday, today and tomorrow by `now`. `wait` resolves
 * a promise (`drive` under simulated time).
 */
export async function storeRefs(
  repo: Repo,
  storeUrl: string,
  wait: <T>(p: Promise<T>) => Promise<T> = (p) => p,
  now = Date.now(),
): Promise<(OrderRef & { tableId: string })[]> {
  const store = decode<StoreData>((await wait(repo.find<StoreDoc>(storeUrl as never))).doc())
  const refs = new Map<string, OrderRef & { tableId: string }>()
  for (const t of Object.values(store.tables)) {
    const table = decode<TableData>((await wait(repo.find<TableDoc>(t.url as never))).doc())
    for (const r of Object.values(table.orders)) refs.set(r.orderId, { ...r, tableId: t.id })
  }
  for (const { tableId, id } of await tableDayIds(store, now)) {
    const day = await wait(repo.find<TableDayDoc>(id)).catch(() => undefined)
    if (!day) continue // no check on that table that day
    for (const r of Object.values(decode<TableDayData>(day.doc()).orders))
      refs.set(r.orderId, { ...r, tableId })
  }
  return [...refs.values()]
}
