/*
 * What a new device of a store needs before it can draw its floor: the store document, its
 * table-days of the recent business days (a store on table-days) and its tables, and the orders
 * those list for the recent business days (checks hinted open first). The pairing hands this list to the device, which asks for all of it in one
 * `POST /documents` while its code and Automerge's wasm load, instead of store, then tables,
 * then orders, each asked for once the previous one was opened (issue 15). The list is only
 * where to start: the device still reads its tables itself and fetches whatever they list that
 * the bundle lacked, so a stale list delays the floor, never falsifies it.
 */
import {
  interpretAsDocumentId,
  type AutomergeUrl,
  type BinaryDocumentId,
  type DocHandle,
  type Repo,
} from '@automerge/automerge-repo'
import {
  businessDate,
  decode,
  summarizeOrder,
  tableDayOrders,
  tableDayRefs,
  usesTableDays,
  type HintedRef,
  type OrderDoc,
  type StoreData,
  type StoreDoc,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import { tableDayIdBytes } from '@tabsync/core/internal'
import {
  floorOrderOfSummary,
  floorPlan,
  floorTables,
  type FloorOrder,
} from '../src/lib/floor-plan.js'
import type { FloorSnapshot } from '../src/lib/floor-snapshot.js'

/** What `/pairing.json` carries for a new device (see {@link starterDocuments}). */
export interface StarterDocuments {
  /** automerge-repo document ids, most wanted first: store, tables, open checks, the rest. */
  readonly ids: readonly string[]
  /**
   * How many of them are tables and table-days (the start screen's "Fetching tables: 0 of N").
   */
  readonly tables: number
  /**
   * The floor those documents show, derived here by the terminal's own floor-plan.ts from the
   * relay's copy: a new device paints it at once, marked provisional, until its own documents
   * confirm it. Absent when any listed order could not be read (a floor missing a check would
   * show a busy table as free).
   */
  readonly floor?: FloorSnapshot
}

/** The relay answers at most 500 ids per request; the device's catch-up fetches any beyond. */
const MAX_IDS = 500
/** The days a terminal keeps on its floor (device.ts, RECENT_DAYS). */
const RECENT_DAYS = 2
const DAY_MS = 86_400_000
/** A document the relay cannot produce quickly is left to the device's own catch-up. */
const FIND_TIMEOUT_MS = 2_000

const idOf = (url: string) => url.replace(/^automerge:/, '')

async function find<T>(repo: Repo, url: string): Promise<DocHandle<T> | undefined> {
  const handle = await repo
    .find<T>(url as AutomergeUrl, {
      allowableStates: ['ready', 'unavailable'],
      signal: AbortSignal.timeout(FIND_TIMEOUT_MS),
    })
    .catch(() => undefined)
  return handle?.isReady() ? handle : undefined
}

/**
 * The starter list of a store, read from the relay's own copy (the one `/documents` serves),
 * with the business days by the server's clock. Undefined when the store document is not there.
 */
export async function starterDocuments(
  repo: Repo,
  storeUrl: AutomergeUrl,
  now = Date.now(),
): Promise<StarterDocuments | undefined> {
  const storeHandle = await find<StoreDoc>(repo, storeUrl)
  if (!storeHandle) return undefined
  const store = decode<StoreData>(storeHandle.doc())
  const dates = Array.from({ length: RECENT_DAYS }, (_, i) => businessDate(now - i * DAY_MS, store))
  const tableUrls = Object.values(store.tables).map((t) => t.url)
  const open: string[] = []
  const rest: string[] = []
  const orderUrls: string[] = []
  const add = (refs: readonly HintedRef[]) => {
    for (const { ref, hint } of refs) {
      ;(hint === 'closed' ? rest : open).push(idOf(ref.url))
      orderUrls.push(ref.url)
    }
  }
  // A store on table-days: each day's references in its table-days, whose ids are computed.
  const dayIds: string[] = []
  for (const date of dates.filter((d) => usesTableDays(store, d))) {
    for (const t of Object.values(store.tables)) {
      const bytes = await tableDayIdBytes(store.storeId, t.id, date)
      dayIds.push(interpretAsDocumentId(bytes as BinaryDocumentId))
    }
  }
  await Promise.all([
    ...dayIds.map(async (id) => {
      const day = await find<TableDayDoc>(repo, `automerge:${id}`)
      if (day) add(tableDayOrders(day.doc()))
    }),
    ...tableUrls.map(async (url) => {
      const table = await find<TableDoc>(repo, url)
      if (!table) return
      // Also on table-days: what a till of the previous version filed there.
      for (const date of dates) add(tableDayRefs(table.doc(), date))
    }),
  ])
  const ids = [...new Set([idOf(storeUrl), ...dayIds, ...tableUrls.map(idOf), ...open, ...rest])]
  const floor = await provisionalFloor(repo, store, [...new Set(orderUrls)], now)
  return {
    ids: ids.slice(0, MAX_IDS),
    tables: dayIds.length + tableUrls.length,
    ...(floor && ids.length <= MAX_IDS ? { floor } : {}),
  }
}

/** The floor of these orders, or undefined when one of them cannot be read here. */
async function provisionalFloor(
  repo: Repo,
  store: StoreData,
  orderUrls: readonly string[],
  now: number,
): Promise<FloorSnapshot | undefined> {
  const orders = await Promise.all(
    orderUrls.map(async (url) => {
      const handle = await find<OrderDoc>(repo, url)
      try {
        return handle
          ? ([url as AutomergeUrl, floorOrderOfSummary(summarizeOrder(handle.doc()))] as const)
          : undefined
      } catch {
        return undefined // not an order core can read: no provisional floor, the device decides
      }
    }),
  )
  const read = orders.filter((o): o is readonly [AutomergeUrl, FloorOrder] => o !== undefined)
  if (read.length < orders.length) return undefined
  const areas = floorPlan(store, floorTables(store, read))
  return { version: 1, storeId: store.storeId, savedAt: now, areas }
}
