/*
 * The terminal's device: @tabsync/sync's Device (storage, WebSocket to the relay with backoff,
 * BroadcastChannel between tabs, persisted hybrid clock, sync status, "saved" after flush) plus
 * what the screens need on top: a synchronous cache of the recent orders for the floor, kitchen
 * and review list, and closing sockets when the browser reports it went offline.
 */
import type { AutomergeUrl } from '@automerge/automerge-repo'
import {
  businessDate,
  registerDevice,
  type CommandContext,
  type HybridClock,
  type OrderDoc,
  type OrderSummary,
  type StoreData,
  type StoreDoc,
} from '@tabsync/core'
import {
  isSyncLink,
  openDevice as openSyncDevice,
  type ChangeEvent,
  type Device as SyncDevice,
  type LoadProgress as SyncLoadProgress,
  type OrderEntry,
  type SyncStatus,
} from '@tabsync/sync'

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
  readonly storage: 'indexeddb' | 'memory'
}

/** An open terminal device. */
export interface Device {
  readonly deviceId: string
  readonly sync: SyncDevice
  readonly clock: HybridClock
  readonly storeUrl: AutomergeUrl
  /**
   * Resolves once the store and the recent orders stored on this device are loaded, without
   * waiting for any network answer; what the hub or relay has beyond that fills in afterwards
   * (order change events). A device that lacks its table documents (new) first fetches them and
   * the recent orders, reporting `onProgress`, so its floor never shows a busy table as free.
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
   * How many orders the tables list for a day that this device could not get at its last look
   * (0 when unknown): a report of that day is incomplete while it is not 0.
   */
  missingOrders(date: string): number
  /** The recent orders loaded so far (today and yesterday), synchronously. */
  loadedOrders(): OrderEntry[]
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

const DAY_MS = 86_400_000
/** Business days kept loaded: today and yesterday (a check opened before the day rolled). */
const RECENT_DAYS = 2

/** Opens the device; call `ready()` before reading the store. */
export async function openDevice(options: DeviceOptions): Promise<Device> {
  const sync = await openSyncDevice({
    deviceId: options.deviceId,
    storeUrl: options.storeUrl,
    ...(options.token ? { token: options.token } : {}),
    endpoints: [...(options.endpoints ?? [])],
    storage: options.storage,
  })
  const orders = new Map<AutomergeUrl, OrderSummary>()
  const listeners = new Set<(e: ChangeEvent) => void>()
  const emit = (e: ChangeEvent) => listeners.forEach((cb) => cb(e))

  const recentDates = (): string[] => {
    const now = sync.clock.physicalMs()
    return Array.from({ length: RECENT_DAYS }, (_, i) =>
      businessDate(now - i * DAY_MS, sync.store()),
    )
  }

  const missing = new Map<string, number>()
  /** Records a day's missing orders; tells the screens (an order event) when the count changed. */
  const noteMissing = (date: string, refs: readonly { url: string }[]) => {
    if ((missing.get(date) ?? 0) === refs.length) return
    missing.set(date, refs.length)
    const first = refs[0]?.url ?? [...orders.keys()][0]
    if (first) emit({ url: first as AutomergeUrl, kind: 'order' })
  }

  const watching = new Set<AutomergeUrl>()
  const keep = (url: AutomergeUrl, summary: OrderSummary) => {
    orders.set(url, summary)
    if (watching.has(url)) return
    watching.add(url)
    sync.watchOrder(url, (s) => {
      orders.set(url, s)
      emit({ url, kind: 'order' })
    })
  }

  // A table document changed: a check may have been opened or moved there by another device.
  let rescanning: Promise<void> | undefined
  let rescanAgain = false
  /** Where the scan that the start screen waits for reports its progress. */
  let rescanProgress: ((p: SyncLoadProgress) => void) | undefined
  const rescan = (): Promise<void> => {
    if (rescanning) {
      rescanAgain = true
      return rescanning
    }
    rescanning = (async () => {
      do {
        rescanAgain = false
        for (const date of recentDates()) {
          const day = await sync.loadDay(date, rescanProgress ? { onProgress: rescanProgress } : {})
          for (const { url, summary } of day.orders) {
            const known = orders.has(url)
            keep(url, summary)
            if (!known) emit({ url, kind: 'order' })
          }
          noteMissing(date, day.missing)
        }
      } while (rescanAgain)
    })().finally(() => (rescanning = undefined))
    return rescanning
  }

  sync.onChange((e) => {
    if (e.kind === 'table') void rescan()
    else if (e.kind !== 'order') emit(e)
  })

  // A browser that reports offline may keep stale sockets open (Chromium's network emulation
  // does): close the links now and reconnect when it is back, instead of waiting on timeouts.
  const links = () => sync.repo.networkSubsystem.adapters.filter(isSyncLink)
  const onOffline = () => links().forEach((l) => l.disconnect())
  // Announced as ephemeral: the relay then keeps no sync state for this device. With a saved
  // one, a device reloaded with the network off (same storage id, new peer) and back online
  // kept its offline-made documents unconfirmed in the browser tests; a fresh sync per
  // connection costs little for one store.
  const metadata = (l: ReturnType<typeof links>[number]) => ({
    ...l.peerMetadata,
    isEphemeral: true,
  })
  const onOnline = () =>
    links().forEach((l) => {
      if (l.peerId) l.connect(l.peerId, metadata(l))
    })
  for (const l of links()) {
    for (let i = 0; i < 100 && !l.peerId; i++) await new Promise((r) => setTimeout(r, 20))
    if (!l.peerId) continue
    l.disconnect()
    l.connect(l.peerId, metadata(l))
  }
  if (typeof window !== 'undefined') {
    window.addEventListener('offline', onOffline)
    window.addEventListener('online', onOnline)
    if (!navigator.onLine) onOffline()
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
        // Local first: what is stored shows now, online exactly as fast as offline. A full scan
        // (bulk fetch, finds that wait for peers) used to run first and held the floor back
        // whenever a relay was connected but had not answered yet.
        let tablesMissing = false
        for (const date of recentDates()) {
          const day = await sync.loadDay(date, {
            localOnly: true,
            onProgress: (p) => onProgress?.({ ...p, fetching: false }),
          })
          for (const { url, summary } of day.orders) keep(url, summary)
          if (day.missingTables.length > 0) tablesMissing = true
        }
        if (!tablesMissing) {
          // What the hub or relay has beyond this arrives as order events.
          void rescan().catch(() => undefined)
          return
        }
        // A new device: without its tables the floor would show busy tables as free.
        rescanProgress = (p) => onProgress?.({ ...p, fetching: true })
        try {
          // A scan already running (a table arrived) reports nothing: run one that does.
          await rescanning?.catch(() => undefined)
          await rescan()
        } finally {
          rescanProgress = undefined
        }
      })()),
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
      keep(opened.url, await sync.orderSummary(opened.url))
      emit({ url: opened.url, kind: 'order' })
      return opened
    },
    run: (url, command) => sync.run(url, command),
    async transferOrder(sourceUrl, targetUrl) {
      const id = await sync.transferOrder(sourceUrl, targetUrl)
      for (const url of [sourceUrl, targetUrl]) {
        keep(url, await sync.orderSummary(url))
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
      if (recentDates().includes(day)) for (const e of entries) keep(e.url, e.summary)
      noteMissing(day, gone)
      return entries
    },
    missingOrders: (date) => missing.get(date) ?? 0,
    loadedOrders: () => [...orders].map(([url, summary]) => ({ url, summary })),
    today: () => sync.businessDate(),
    recentDates,
    onChange(cb) {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
    status: () => sync.status(),
    onStatus: (cb) => sync.onStatus(cb),
    flush: () => sync.flush(),
    async close() {
      if (typeof window !== 'undefined') {
        window.removeEventListener('offline', onOffline)
        window.removeEventListener('online', onOnline)
      }
      await sync.close()
    },
  }
}
