// The Tabsync cold device: a new device (empty storage) opens the store through the relay and
// asks for the day's orders (`device.loadDay`: bulk fetch, then every order opened from storage);
// the open ones are watched as they become usable, while the call runs.
import path from 'node:path'
import type {
  AutomergeUrl,
  DocumentId,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import type { LoadProgress } from '@tabsync/sync'
import { listDocumentKeys, listKeys } from '@tabsync/sync/internal'
import { dirBytes } from '../fixtures/files.js'
import { now, sleep } from '../workload.js'
import { isDigestOnFloor, salesReport } from '@tabsync/core'
import { tabsyncDevice } from './tabsync-pair.js'
import { whenRelaySettled } from './relay-settled.js'

/** Figures are capped here when the device never gets everything (the count figures say so). */
const CAP_MS = 120_000

/**
 * Where a cold start's time goes, each in ms from the start of `openDevice`, seen from outside
 * the library (the same on every version): the store's and the open checks' bulk chunks as the
 * device's storage receives them, `device.ready()`, `loadDay`'s progress events for the tables,
 * and the repo's handles of the open checks.
 */
export const COLD_PHASES = [
  'storeStored',
  'ready',
  'tablesFetched',
  'tablesRead',
  'openStored',
  'usable',
] as const
export type ColdPhase = (typeof COLD_PHASES)[number]
export const COLD_PHASE_NAMES: Record<ColdPhase, string> = {
  storeStored: 'store document stored (bulk)',
  ready: 'store ready (device.ready)',
  tablesFetched: 'table documents fetched (bulk)',
  tablesRead: 'table documents read (loadDay progress: every table done)',
  openStored: 'open checks stored (bulk)',
  usable: 'open checks usable',
}

/** The device's storage, noting when each document's first bulk chunk (`catch-up-*`) is saved. */
function watchedStorage(dir: string, t0: number) {
  const inner = new NodeFSStorageAdapter(dir)
  const saved = new Map<string, number>()
  const adapter: StorageAdapterInterface = {
    load: (key) => inner.load(key),
    save: async (key, data) => {
      await inner.save(key, data)
      if (
        key[1] === 'incremental' &&
        key[2]?.startsWith('catch-up') === true &&
        key[0] &&
        !saved.has(key[0])
      ) {
        saved.set(key[0], now() - t0)
      }
    },
    remove: (key) => inner.remove(key),
    loadRange: (prefix) => inner.loadRange(prefix),
    removeRange: (prefix) => inner.removeRange(prefix),
  }
  return { adapter, saved }
}

/**
 * The file storage of a device, noting the documents whose content is loaded (a document id
 * alone or with 'snapshot' / 'incremental'); key names are listed without their bytes, as the
 * device lists them through its own adapter (sync's key-listing.ts).
 */
function countedReads(dir: string) {
  const inner = new NodeFSStorageAdapter(dir)
  const read = new Set<string>()
  const note = (key: readonly string[]) => {
    const [id, kind] = key
    if (id && (kind === undefined || kind === 'snapshot' || kind === 'incremental')) read.add(id)
  }
  const adapter: StorageAdapterInterface & {
    listKeys(prefix: StorageKey): Promise<StorageKey[]>
    listDocumentKeys(ids: readonly string[]): Promise<Map<string, StorageKey[]>>
  } = {
    load: (key: StorageKey) => (note(key), inner.load(key)),
    save: (key: StorageKey, data: Uint8Array) => inner.save(key, data),
    remove: (key: StorageKey) => inner.remove(key),
    loadRange: (prefix: StorageKey) => (note(prefix), inner.loadRange(prefix)),
    removeRange: (prefix: StorageKey) => inner.removeRange(prefix),
    listKeys: (prefix: StorageKey) => listKeys(inner, prefix),
    listDocumentKeys: (ids: readonly string[]) => listDocumentKeys(inner, ids),
  }
  return { adapter, read }
}

/**
 * Counts the device's `POST /documents` requests (this process runs one cold start at a time):
 * how many round trips to the relay a cold start waits for, on any version.
 */
function countBulkRequests() {
  const realFetch = globalThis.fetch
  const counter = { requests: 0, restore: () => void (globalThis.fetch = realFetch) }
  globalThis.fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/documents'))
      counter.requests++
    return realFetch(input, init)
  }
  return counter
}

/** One cold start. `businessDate` is the day's (the fixture may be from an earlier day). */
export async function tabsyncCold(req: {
  url: string
  secret: string
  storeId: string
  storeUrl: AutomergeUrl
  openUrls: readonly AutomergeUrl[]
  allUrls: readonly AutomergeUrl[]
  businessDate: string
  dir: string
  /** Stop once the open orders are usable and the day stored (no whole day, no reports). */
  openOnly?: boolean
  /** `openDevice`'s `loadHook` (default: on unless TABSYNC_BENCH_LOAD_HOOK=0). */
  loadHook?: boolean
  /** False: no report over every opened order at the end (the store-with-history variant). */
  openingReport?: boolean
}): Promise<Record<string, number>> {
  const t0 = now()
  const deviceId = `cold-${Math.random().toString(36).slice(2, 8)}`
  const options = {
    storeUrl: req.storeUrl,
    storage: { directory: path.join(req.dir, 'storage') },
    // TABSYNC_BENCH_LOAD_HOOK=0: automerge-repo's own loading (the before figure of issue 15's
    // load hook, measured by the same build).
    loadHook: req.loadHook ?? process.env['TABSYNC_BENCH_LOAD_HOOK'] !== '0',
  }
  const storage = watchedStorage(path.join(req.dir, 'storage'), t0)
  const bulk = countBulkRequests()
  const device = await tabsyncDevice(req.url, req.secret, deviceId, [req.storeId], {
    ...options,
    storage: storage.adapter,
  })
  const open = new Set(req.openUrls.map((u) => u.slice('automerge:'.length) as DocumentId))
  const all = req.allUrls.map((u) => u.slice('automerge:'.length) as DocumentId)
  const ready = (id: DocumentId) => device.repo.handles[id]?.isReady() === true
  await device.ready()
  const phase: Partial<Record<ColdPhase, number>> = { ready: now() - t0 }
  let tablesAtZero = 0
  const onProgress = (p: LoadProgress) => {
    if (p.what !== 'tables') return
    // loadDay reports 0 of the tables before their bulk fetch and again once they are here.
    if (p.done === 0 && ++tablesAtZero === 2) phase.tablesFetched ??= now() - t0
    if (p.done === p.total && p.total > 0) phase.tablesRead ??= now() - t0
  }
  let usable = 0
  let requestsBeforeUsable = 0
  let returned: Awaited<ReturnType<typeof device.loadDay>> | undefined
  let storedAt = 0
  let fetching: Promise<unknown> | undefined
  // Whole day stored: loadDay is fetching the rest by then; fetchDay resolves when it is stored.
  const whenStored = () => device.fetchDay(req.businessDate).then(() => (storedAt = now() - t0))
  const loading = device.loadDay(req.businessDate, { onProgress }).then((day) => (returned = day))
  while (!returned && now() - t0 < CAP_MS && !(req.openOnly && storedAt > 0)) {
    if (usable === 0 && [...open].every(ready)) {
      usable = now() - t0
      requestsBeforeUsable = bulk.requests
      fetching = whenStored()
    }
    await sleep(5)
  }
  fetching ??= whenStored()
  bulk.restore()
  if (req.openOnly) {
    const figures = await openOnly(device, loading, { usable, storedAt, phase, storage, req })
    return { ...figures, requestsBeforeUsable }
  }
  await Promise.all([loading, fetching])
  const returnedAt = now() - t0
  const orders = returned?.orders ?? []
  // Keep watching the repo (up to CAP_MS from the start) for what loadDay reported missing.
  let whole = 0
  while (now() - t0 < CAP_MS) {
    if (usable === 0 && [...open].every(ready)) usable = now() - t0
    if (all.every(ready)) {
      await device.flush()
      whole = now() - t0
      break
    }
    await sleep(20)
  }
  phase.usable = usable || CAP_MS
  phase.storeStored = storage.saved.get(req.storeUrl.slice('automerge:'.length)) ?? CAP_MS
  const openTimes = [...open].map((id) => storage.saved.get(id))
  // A check opened before its bulk chunk landed (found through sync) has no time: capped.
  phase.openStored = openTimes.every((t) => t !== undefined)
    ? Math.max(...(openTimes as number[]))
    : CAP_MS
  const openReturned = orders.filter((o) =>
    open.has(o.url.slice('automerge:'.length) as DocumentId),
  ).length
  const readyCount = all.filter(ready).length
  await device.close()
  const stored = await dirBytes(path.join(req.dir, 'storage'))
  // The relay is still answering this device's 2,000 sync messages (one per order opened) long
  // after it closed: the app's cold start comes later than that (relay-settled.ts).
  const relay = await whenRelaySettled(req.url)
  const report = await reportAtColdStart(req, deviceId, options, req.openingReport ?? true)
  return {
    usable: usable || CAP_MS,
    whole: whole || CAP_MS,
    returnedAt,
    stored: storedAt,
    returned: orders.length,
    missing: returned?.missing.length ?? 0,
    openReturned,
    readyCount,
    storedBytes: stored.bytes,
    requestsBeforeUsable,
    ...Object.fromEntries(COLD_PHASES.map((p) => [`phase.${p}`, phase[p] ?? CAP_MS])),
    relaySettledMs: relay.waitedMs,
    relaySettled: Number(relay.settled),
    ...report,
  }
}

/** The figures of a cold start stopped once its open checks are usable and its day stored. */
async function openOnly(
  device: Awaited<ReturnType<typeof tabsyncDevice>>,
  loading: Promise<unknown>,
  r: {
    usable: number
    storedAt: number
    phase: Partial<Record<ColdPhase, number>>
    storage: ReturnType<typeof watchedStorage>
    req: { storeUrl: AutomergeUrl; openUrls: readonly AutomergeUrl[] }
  },
): Promise<Record<string, number>> {
  // loadDay is still opening the closed checks: closing the device ends it (rejects `closed`).
  await device.close()
  await loading.catch(() => undefined)
  const { phase, storage, req } = r
  phase.usable = r.usable || CAP_MS
  phase.storeStored = storage.saved.get(req.storeUrl.slice('automerge:'.length)) ?? CAP_MS
  const openTimes = req.openUrls.map((u) => storage.saved.get(u.slice('automerge:'.length)))
  phase.openStored = openTimes.every((t) => t !== undefined)
    ? Math.max(...(openTimes as number[]))
    : CAP_MS
  return {
    usable: r.usable || CAP_MS,
    stored: r.storedAt || CAP_MS,
    ...Object.fromEntries(COLD_PHASES.map((p) => [`phase.${p}`, phase[p] ?? CAP_MS])),
  }
}

/**
 * The app starts again on the device that now stores the day: the X/Z report of the day, from
 * the summary cache (`device.salesReport`), then the same report as the Reports screen computed
 * it before the cache (every order opened from storage with `loadDay` localOnly, core's
 * `salesReport`), each in a fresh device on the same storage.
 */
async function reportAtColdStart(
  req: { url: string; secret: string; storeId: string; businessDate: string },
  deviceId: string,
  options: { storeUrl: AutomergeUrl; storage: { directory: string }; loadHook: boolean },
  withOpening: boolean,
): Promise<Record<string, number>> {
  const r0 = now()
  const counted = countedReads(options.storage.directory)
  const cached = await tabsyncDevice(req.url, req.secret, deviceId, [req.storeId], {
    ...options,
    storage: counted.adapter,
  })
  await cached.ready()
  counted.read.clear()
  const fromCache = await cached.salesReport(req.businessDate)
  const reportMs = now() - r0
  // What the report read (document content loaded from storage; listing names is not reading).
  const tableIds = new Set(
    Object.values(cached.store().tables).map((t) => t.url.slice('automerge:'.length)),
  )
  const reportDocsRead = counted.read.size
  const reportTablesRead = [...counted.read].filter((id) => tableIds.has(id)).length
  // The floor at cold start: the checks the table-days do not hint closed first (`onFirst`),
  // from the same cache, then the whole day (the closed-hinted ones checked too).
  const f0 = now()
  let floorMs = 0
  let onFloor = 0
  const floor = await cached.dayDigests(req.businessDate, {
    localOnly: true,
    onFirst: (first) => {
      floorMs = now() - f0
      onFloor = first.orders.filter((o) => isDigestOnFloor(o.digest)).length
    },
  })
  const floorWholeMs = now() - f0
  const onFloorWhole = floor.orders.filter((o) => isDigestOnFloor(o.digest)).length
  await cached.close()
  const cachedFigures = {
    reportMs,
    reportOpened: fromCache.day.opened,
    reportCached: fromCache.day.fromCache,
    reportOrders: fromCache.report.orderCount,
    reportDocsRead,
    reportTablesRead,
    floorMs,
    onFloor,
    floorWholeMs,
    onFloorWhole,
  }
  if (!withOpening) return cachedFigures
  const o0 = now()
  const opening = await tabsyncDevice(req.url, req.secret, deviceId, [req.storeId], options)
  await opening.ready()
  const day = await opening.loadDay(req.businessDate, { localOnly: true })
  const plain = salesReport(
    day.orders.map((o) => o.summary.fullOrder),
    opening.store(),
    req.businessDate,
  )
  const openingMs = now() - o0
  await opening.close()
  return {
    ...cachedFigures,
    reportSame: Number(
      plain.total === fromCache.report.total && plain.orderCount === fromCache.report.orderCount,
    ),
    reportOpeningMs: openingMs,
  }
}
