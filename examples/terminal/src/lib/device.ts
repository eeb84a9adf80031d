/*
 * The terminal's device: @tabsync/sync's Device (storage, WebSocket to the relay with backoff,
 * BroadcastChannel between tabs, persisted hybrid clock, sync status, "saved" after flush) plus
 * what the screens need on top: the floor of a start from the summary cache (day-floor.ts), the
 * recent orders with their summaries, synchronously, for the floor, kitchen and review list
 * (which orders: sync's day view, started once the floor is up; each summary follows its
 * document), and going offline when the browser says so.
 */
import type { AutomergeUrl, StorageAdapterInterface } from '@automerge/automerge-repo'
import {
  recentBusinessDates,
  registerDevice,
  type CommandContext,
  type HybridClock,
  type OrderDigest,
  type OrderDoc,
  type OrderSummary,
  type SalesReport,
  type StoreData,
  type StoreDoc,
} from '@tabsync/core'
import {
  openDevice as openSyncDevice,
  type ChangeEvent,
  type DayDigests,
  type DayView,
  type Device as SyncDevice,
  type LoadProgress as SyncLoadProgress,
  type OrderEntry,
  type SyncStatus,
} from '@tabsync/sync'
import { readDayFloor } from './day-floor.js'
import { floorOrderOfDigest, floorOrderOfSummary, type FloorOrder } from './floor-plan.js'

export type { ChangeEvent, OrderEntry, SyncStatus }

/** What {@link Device.ready} is loading, for the start screen. */
export interface LoadProgress {
  readonly what: 'store' | SyncLoadProgress['what']
  readonly done: number
  readonly total: number
  /** True while it asks the hub or relay (a new device); false while it reads local storage. */
  readonly fetching: boolean
}

/** How to open the terminal's device. */
export interface DeviceOptions {
  /** Stable per browser profile (or per `?device=`). */
  readonly deviceId: string
  readonly storeUrl: AutomergeUrl
  /** JWT for the sync endpoints. */
  readonly token?: string
  /** WebSocket endpoints, e.g. `ws://host:port/sync`. */
  readonly endpoints?: readonly string[]
  /** Where documents are kept: sync's own IndexedDB, memory, or an adapter opened already. */
  readonly storage: 'indexeddb' | 'memory' | StorageAdapterInterface
  /**
   * This device had nothing stored before this start and was given documents fetched early
   * (seed-storage.ts): `ready()` then also fetches any order its tables list that the early fetch
   * lacked, as a new device does, so the first floor never shows a busy table as free. Its hub
   * and relay links open when `ready()` resolves (or when it has to fetch).
   */
  readonly fresh?: boolean
}

/** An open terminal device. */
export interface Device {
  readonly deviceId: string
  readonly sync: SyncDevice
  readonly clock: HybridClock
  readonly storeUrl: AutomergeUrl
  /**
   * Resolves once the store and the floor of the recent days are here: the checks not hinted
   * closed, from the summary cache or their stored documents (`floorOrders`), without waiting
   * for any network answer and without opening a closed check. The rest of the day, the day view
   * (every recent order followed with its summary) and what the hub or relay has beyond that
   * fill in afterwards (order change events). A device that lacks its table documents (new)
   * first fetches them and the recent orders, reporting `onProgress`, so its floor never shows a
   * busy table as free.
   */
  ready(onProgress?: (progress: LoadProgress) => void): Promise<void>
  store(): StoreData
  context(): CommandContext
  onStore(cb: (store: StoreData) => void): () => void
  /** Adds this device to the store's device list (idempotent). */
  registerSelf(name: string): Promise<void>
  openOrder(
    tableId: string,
    options?: { guests?: number },
  ): Promise<{ orderId: string; url: AutomergeUrl }>
  /** Runs a core command on an order; resolves after the change is saved locally. */
  run<R>(url: AutomergeUrl, command: (doc: OrderDoc, ctx: CommandContext) => R): Promise<R>
  /**
   * Combines `sourceUrl` into `targetUrl` (every line, adjustment and payment) over both
   * documents; resolves once both are saved. Null when there was nothing left to move.
   */
  transferOrder(sourceUrl: AutomergeUrl, targetUrl: AutomergeUrl): Promise<string | null>
  /** Moves a check to another table (the order and the new table's document, both saved). */
  moveOrder(url: AutomergeUrl, tableId: string): Promise<void>
  /** The order's summary now and after every change; `onError` if it cannot be had. */
  watchOrder(
    url: AutomergeUrl,
    cb: (summary: OrderSummary) => void,
    onError?: (error: Error) => void,
  ): () => void
  orderSummary(url: AutomergeUrl): Promise<OrderSummary>
  /** Orders of a business day (default today), loading them if needed. */
  ordersOfDay(date?: string): Promise<OrderEntry[]>
  /**
   * The X/Z report of a business day from sync's summary cache: only orders whose stored
   * document changed since their digest are opened (a past day opens none once cached).
   */
  salesReport(date: string): Promise<SalesReport>
  /**
   * How many orders the tables list for a day that this device could not get at its last look
   * (0 when unknown): a report of that day is incomplete while it is not 0.
   */
  missingOrders(date: string): number
  /** The recent orders loaded so far (today and yesterday), synchronously. */
  loadedOrders(): OrderEntry[]
  /**
   * What the floor shows of each recent order known so far: its summary once its document is
   * followed, its digest from the start's floor-first read until then.
   */
  floorOrders(): [AutomergeUrl, FloorOrder][]
  /** Today's business date by this device's calibrated clock. */
  today(): string
  /** Business dates of the recent days this device keeps loaded, newest first. */
  recentDates(): string[]
  onChange(cb: (event: ChangeEvent) => void): () => void
  status(): SyncStatus
  onStatus(cb: (status: SyncStatus) => void): () => void
  flush(): Promise<void>
  close(): Promise<void>
}

/** Business days kept loaded: today and yesterday (a check opened before the day rolled). */
const RECENT_DAYS = 2

/** A recent order the terminal follows: its summary once its document is here. */
interface Followed {
  summary: OrderSummary | undefined
  stop: () => void
}

/** Opens the device; call `ready()` before reading the store. */
export async function openDevice(options: DeviceOptions): Promise<Device> {
  const browser = typeof window !== 'undefined'
  const sync = await openSyncDevice({
    deviceId: options.deviceId,
    storeUrl: options.storeUrl,
    ...(options.token ? { token: options.token } : {}),
    endpoints: [...(options.endpoints ?? [])],
    storage: options.storage,
    // Announced as ephemeral: the relay then keeps no sync state for this device. With a saved
    // one, a device reloaded with the network off (same storage id, new peer) and back online
    // kept its offline-made documents unconfirmed in the browser tests; a fresh sync per
    // connection costs little for one store.
    ephemeral: true,
    // A seeded new device connects once its floor is up (see `ready`): its documents are the
    // relay's of a moment ago, and each one's sync exchange would compete for the main thread
    // with opening them.
    online: !options.fresh && (browser ? navigator.onLine : true),
    // A seeded device's documents are the relay's own and it has no unsynced work: nothing to
    // re-announce, and re-opening its day competed with its floor for the main thread (profile,
    // issue 15). The day view opens (hence announces) the recent days once the floor is up.
    reopen: !options.fresh,
  })
  const connect = () => sync.setOnline(browser ? navigator.onLine : true)
  const listeners = new Set<(e: ChangeEvent) => void>()
  const emit = (e: ChangeEvent) => listeners.forEach((cb) => cb(e))

  const followed = new Map<AutomergeUrl, Followed>()
  // The floor of the start: each recent order's digest (summary cache), until its summary is
  // here (then dropped: an order that later leaves the recent days must not fall back to it).
  const digests = new Map<AutomergeUrl, OrderDigest>()
  const recordDigests = (day: DayDigests) => {
    let first: AutomergeUrl | undefined
    for (const { url, digest } of day.orders) {
      if (followed.get(url)?.summary) continue
      digests.set(url, digest)
      first ??= url
    }
    if (first) emit({ url: first, kind: 'order' })
  }
  // The recent dates by the device's calibrated clock, as the day view reckons them.
  const datesNow = () => recentBusinessDates(sync.clock.physicalMs(), sync.store(), RECENT_DAYS)
  // Which orders are recent is the day view's (tables followed, roll-over at the day's end);
  // each one's summary follows its document (core's summary needs the document itself: it shows
  // concurrent overwrites of descriptive fields). It opens every recent order, closed ones too,
  // so it starts once the floor is up (`ready`), in idle time.
  let days: DayView | undefined
  let closed = false
  const follow = (url: AutomergeUrl, summary?: OrderSummary) => {
    if (summary) digests.delete(url)
    const known = followed.get(url)
    if (known) {
      if (summary) known.summary = summary
      return
    }
    const entry: Followed = { summary, stop: () => undefined }
    followed.set(url, entry)
    entry.stop = sync.watchOrder(url, (s) => {
      entry.summary = s
      digests.delete(url)
      emit({ url, kind: 'order' })
    })
  }
  const startDays = () => {
    if (days || closed) return
    const view = sync.watchDays({ days: RECENT_DAYS })
    days = view
    view.onChange(() => {
      const listed = new Set(view.orders().map((o) => o.url))
      for (const url of listed) follow(url)
      const recent = new Set(view.dates())
      for (const [url, entry] of followed) {
        // An order opened or moved here leaves once its day is no longer watched.
        const date = entry.summary?.order.businessDate ?? view.order(url)?.date
        if (listed.has(url) || (date !== undefined && recent.has(date))) continue
        entry.stop()
        followed.delete(url)
        emit({ url, kind: 'order' })
      }
    })
  }
  /** After the floor's frame: the browser's idle time (bounded), else the next task. */
  const whenIdle = (run: () => void) => {
    if (browser && 'requestIdleCallback' in window) requestIdleCallback(run, { timeout: 500 })
    else setTimeout(run, 0)
  }

  sync.onChange((e) => {
    // Orders reach the screens through `follow`; tables through the day view.
    if (e.kind === 'store') emit(e)
  })

  const missing = new Map<string, number>()
  /** Records a day's missing orders; tells the screens (an order event) when the count changed. */
  const noteMissing = (date: string, refs: readonly { url: string }[]) => {
    if ((missing.get(date) ?? 0) === refs.length) return
    missing.set(date, refs.length)
    const first = refs[0]?.url ?? [...followed.keys()][0]
    if (first) emit({ url: first as AutomergeUrl, kind: 'order' })
  }

  // A browser that reports offline may keep stale sockets open (Chromium's network emulation
  // does): the device closes its links now and reconnects when it is back.
  const onOffline = () => sync.setOnline(false)
  const onOnline = () => sync.setOnline(true)
  if (browser) {
    window.addEventListener('offline', onOffline)
    window.addEventListener('online', onOnline)
  }

  let readyPromise: Promise<void> | undefined
  return {
    deviceId: options.deviceId,
    sync,
    clock: sync.clock,
    storeUrl: options.storeUrl,
    ready: (onProgress) =>
      (readyPromise ??= (async () => {
        onProgress?.({ what: 'store', done: 0, total: 1, fetching: false })
        await sync.ready()
        onProgress?.({ what: 'store', done: 1, total: 1, fetching: false })
        // Local first: what is stored shows now, online exactly as fast as offline; the day view
        // brings what the hub or relay has beyond that as order events. The floor needs only the
        // checks not hinted closed: the summary cache gives them without opening a document.
        const dates = datesNow()
        const floorOf = (localOnly: boolean) =>
          Promise.all(
            dates.map((date) => readDayFloor(sync, date, { localOnly, record: recordDigests })),
          )
        const local = await floorOf(true)
        // A device seeded by an early fetch: an open check its tables list and it lacks (opened
        // since the list was made) is fetched before the floor, as on any new device.
        const incomplete = local.some(
          ({ first }) =>
            first.missingTables.length > 0 || (options.fresh === true && first.missing.length > 0),
        )
        if (incomplete) {
          if (options.fresh) connect()
          // A new device: without its tables the floor would show busy tables as free.
          for (const date of dates) {
            const day = await sync.loadDay(date, {
              onProgress: (p) => onProgress?.({ ...p, fetching: true }),
            })
            noteMissing(date, day.missing)
          }
          // Now loaded: their digests come from memory.
          await floorOf(true)
        }
      })().finally(() => {
        // Floor up, or the start failed: a seeded device now connects (or it never would).
        if (options.fresh) connect()
        whenIdle(startDays)
      })),
    store: () => sync.store(),
    context: () => sync.context(),
    onStore: (cb) => sync.onStore(cb),
    async registerSelf(name) {
      const existing = sync.store().devices[options.deviceId]
      if (existing?.name === name) return
      await sync.run<void, StoreDoc>(options.storeUrl, (doc) =>
        registerDevice(doc, { id: options.deviceId, name, role: 'terminal' }),
      )
    },
    async openOrder(tableId, opts = {}) {
      const opened = await sync.openOrder(tableId, opts)
      // On the floor at once, before the day view has seen the table change.
      follow(opened.url, await sync.orderSummary(opened.url))
      emit({ url: opened.url, kind: 'order' })
      return opened
    },
    run: (url, command) => sync.run(url, command),
    async transferOrder(sourceUrl, targetUrl) {
      const id = await sync.transferOrder(sourceUrl, targetUrl)
      for (const url of [sourceUrl, targetUrl]) {
        follow(url, await sync.orderSummary(url))
        emit({ url, kind: 'order' })
      }
      return id
    },
    moveOrder: (url, tableId) => sync.moveOrder(url, tableId),
    watchOrder: (url, cb, onError) => sync.watchOrder(url, cb, onError),
    orderSummary: (url) => sync.orderSummary(url),
    async ordersOfDay(date) {
      const day = date ?? sync.businessDate()
      const { orders: entries, missing: gone } = await sync.loadDay(day)
      noteMissing(day, gone)
      return entries
    },
    async salesReport(date) {
      const { report, day } = await sync.salesReport(date)
      noteMissing(date, day.missing)
      return report
    },
    missingOrders: (date) => missing.get(date) ?? 0,
    loadedOrders: () =>
      [...followed].flatMap(([url, { summary }]) => (summary ? [{ url, summary }] : [])),
    floorOrders() {
      const out: [AutomergeUrl, FloorOrder][] = []
      for (const [url, { summary }] of followed)
        if (summary) out.push([url, floorOrderOfSummary(summary)])
      for (const [url, digest] of digests)
        if (!followed.get(url)?.summary) out.push([url, floorOrderOfDigest(digest)])
      return out
    },
    today: () => sync.businessDate(),
    recentDates: () => (days ? [...days.dates()] : datesNow()),
    onChange(cb) {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
    status: () => sync.status(),
    onStatus: (cb) => sync.onStatus(cb),
    flush: () => sync.flush(),
    async close() {
      if (browser) {
        window.removeEventListener('offline', onOffline)
        window.removeEventListener('online', onOnline)
      }
      closed = true
      days?.close()
      for (const entry of followed.values()) entry.stop()
      await sync.close()
    },
  }
}
