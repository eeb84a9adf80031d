import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  isValidAutomergeUrl,
  parseAutomergeUrl,
  type BinaryDocumentId,
} from '@automerge/automerge-repo'
import {
  businessDate,
  decode,
  tableDaysFrom,
  type OrderRef,
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
 * the store's own day rule), and the orders those table-days do not hint closed (below), newest
 * first, at most {@link MAX_FLOOR_ORDERS}. Without it a new device asks three times in a row: the
 * store (to learn its tables), the table-days (to learn the open checks), the open checks.
 *
 * Every document goes through the same read as the ids of the request (`reader`: the token's
 * stores only, unknown and foreign alike left out). The table-day ids are computed for the store
 * document's own `storeId`, which must be one of the token's stores, so they are store-bound to
 * it. The hints only choose what is sent along: the device files, reads and opens nothing on
 * the relay's word (it computes its table-days and reads the hints itself; what it did not ask
 * for it does not store). Hints are read only from table-days the relay holds in memory (every
 * table-day a till wrote lately): one it would have to load gives no checks, which the device
 * then asks for in a second request. Nothing here throws: a store that cannot be read so gives
 * what was read.
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
    const open: OrderRef[] = []
    for (const { documentId } of days) {
      // Only table-days the repo holds (during service, those of busy tables): loading one here
      // costs what the device's own read of it costs, on the way to the same checks.
      const doc = await reader.loaded<TableDayDoc>(documentId)
      if (!doc || text(doc.kind) !== 'table-day' || text(doc.storeId) !== storeId) continue
      open.push(...notClosed(doc))
    }
    const orderIds = open
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

/**
 * The references of a table-day whose hint is not `closed`, decoding only those. Reads the hint's
 * winning value only (core's `orderHint` also reads concurrent values, one wasm call per check):
 * a check whose `open` lost to a concurrent `closed` is not sent along, and the device, which
 * reads every value, asks for it itself.
 */
function notClosed(day: TableDayDoc): OrderRef[] {
  const hints = (day.hints ?? {}) as Record<string, unknown>
  return Object.keys(day.orders ?? {}).flatMap((id) => {
    const hint = hints[id]
    const closed = hint !== undefined && text(hint as A.ImmutableString) === 'closed'
    return closed ? [] : [decode<OrderRef>(day.orders[id]!)]
  })
}
