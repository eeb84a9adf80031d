import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  isValidAutomergeUrl,
  parseAutomergeUrl,
  type BinaryDocumentId,
} from '@automerge/automerge-repo'
import {
  businessDate,
  tableDayOrders,
  tableDaysFrom,
  type StoreDoc,
  type TableDayDoc,
} from '@tabsync/core'
import { tableDayIdBytes, text, type BundledDocument } from '@tabsync/core/internal'
import { MAX_FLOOR_ORDERS, type DocumentsFloor } from '@tabsync/protocol'
import type { Logger } from 'pino'
import type { BundleReader } from './bundle-reader.js'

/**
 * The floor of a store's business day, for a new device's first request (`floor` of
 * `POST /documents`): the store document, its table-days of the business day at `floor.at` (by
 * the store's own day rule), and the orders those table-days do not hint closed, newest first,
 * at most {@link MAX_FLOOR_ORDERS}. Without it a new device asks three times in a row: the
 * store (to learn its tables), the table-days (to learn the open checks), the open checks.
 *
 * Every document goes through the same read as the ids of the request (`reader`: the token's
 * stores only, unknown and foreign alike left out). The table-day ids are computed for the store
 * document's own `storeId`, which must be one of the token's stores, so they are store-bound to
 * it. The hints only choose what is sent along: the device files, reads and opens nothing on
 * the relay's word (it computes its table-days and reads the hints itself; what it did not ask
 * for it does not store). Nothing here throws: a store that cannot be read so gives what was read.
 */
export async function floorDocuments(
  reader: BundleReader,
  floor: DocumentsFloor,
  log: Logger,
): Promise<BundledDocument[]> {
  const storeBytes = await reader.read(floor.store)
  if (!storeBytes) return []
  const out: BundledDocument[] = [{ documentId: floor.store, bytes: storeBytes }]
  try {
    const store = A.load<StoreDoc>(storeBytes)
    const storeId = text(store.storeId)
    if (!reader.storeIds.includes(storeId)) return out
    const date = businessDate(floor.at, {
      timeZone: text(store.timeZone),
      dayStartHour: Number(store.dayStartHour),
    })
    const from = tableDaysFrom(store)
    if (from === undefined || date < from) return out // the day lives in the table documents
    const dayIds = await Promise.all(
      Object.keys(store.tables ?? {}).map(async (tableId) =>
        interpretAsDocumentId((await tableDayIdBytes(storeId, tableId, date)) as BinaryDocumentId),
      ),
    )
    const days = await reader.readAll(dayIds)
    out.push(...days)
    const open = days.flatMap((d) => {
      const doc = A.load<TableDayDoc>(d.bytes)
      if (text(doc.kind) !== 'table-day' || text(doc.storeId) !== storeId) return []
      return tableDayOrders(doc).filter((h) => h.hint !== 'closed')
    })
    const orderIds = open
      .map((h) => h.ref)
      .sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0))
      .flatMap((ref) =>
        isValidAutomergeUrl(ref.url) ? [parseAutomergeUrl(ref.url).documentId] : [],
      )
      .slice(0, MAX_FLOOR_ORDERS)
    out.push(...(await reader.readAll(orderIds)))
  } catch (err) {
    log.warn({ err, store: floor.store }, 'floor of a store not read whole; sent what was read')
  }
  return out
}
