/*
 * What a new device of a store needs before it can draw its floor: the store document, its
 * tables, and the orders those tables list for the recent business days (checks hinted open
 * first). The pairing hands this list to the device, which asks for all of it in one
 * `POST /documents` while its code and Automerge's wasm load, instead of store, then tables,
 * then orders, each asked for once the previous one was opened (issue 15). The list is only
 * where to start: the device still reads its tables itself and fetches whatever they list that
 * the bundle lacked, so a stale list delays the floor, never falsifies it.
 */
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import {
  businessDate,
  decode,
  tableDayRefs,
  type StoreData,
  type StoreDoc,
  type TableDoc,
} from '@tabsync/core'

/** What `/pairing.json` carries for a new device (see {@link starterDocuments}). */
export interface StarterDocuments {
  /** automerge-repo document ids, most wanted first: store, tables, open checks, the rest. */
  readonly ids: readonly string[]
  /** How many of them are tables (the start screen's "Fetching tables: 0 of N"). */
  readonly tables: number
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
  await Promise.all(
    tableUrls.map(async (url) => {
      const table = await find<TableDoc>(repo, url)
      if (!table) return
      for (const date of dates) {
        for (const { ref, hint } of tableDayRefs(table.doc(), date)) {
          ;(hint === 'closed' ? rest : open).push(idOf(ref.url))
        }
      }
    }),
  )
  const ids = [...new Set([idOf(storeUrl), ...tableUrls.map(idOf), ...open, ...rest])]
  return { ids: ids.slice(0, MAX_IDS), tables: tableUrls.length }
}
