/*
 * The terminal's device: a thin adapter over a plain automerge-repo Repo with the method names of
 * the @tabsync/sync contract (openDevice, run, watchOrder, ordersOfDay, status...), so moving to
 * @tabsync/sync is a change of this one file. It owns storage (IndexedDB), networks (WebSocket to
 * the relay, BroadcastChannel between tabs), the persisted hybrid clock, and sync status.
 */
import {
  Repo,
  isValidAutomergeUrl,
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type NetworkAdapterInterface,
  type PeerId,
  type StorageAdapterInterface,
  type StorageId,
} from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import {
  attachOrder,
  businessDate,
  createHybridClock,
  decode,
  latestStamp,
  openOrder as openOrderEntry,
  registerDevice,
  summarizeOrder,
  type ClockState,
  type CommandContext,
  type HybridClock,
  type OrderData,
  type OrderDoc,
  type OrderSummary,
  type SkewReport,
  type StoreData,
  type StoreDoc,
  type TableData,
  type TableDoc,
} from '@tabsync/core'

/** Where a device keeps its documents. */
export type StorageOption = 'indexeddb' | 'memory' | StorageAdapterInterface

/** How to open a device (same names as @tabsync/sync's `openDevice`). */
export interface DeviceOptions {
  /** Stable per browser profile (or per `?device=`). */
  readonly deviceId: string
  /** Peer id = `${deviceId}/${peerSuffix}`; random per tab by default. */
  readonly peerSuffix?: string
  readonly storeUrl: AutomergeUrl
  /** JWT for the sync endpoints. */
  readonly token?: string
  /** WebSocket endpoints, e.g. `ws://host:port/sync`. */
  readonly endpoints?: readonly string[]
  readonly storage: StorageOption
  /** BroadcastChannel between tabs of one browser profile (default: where available). */
  readonly broadcastChannel?: boolean
  /** The wall clock (tests). */
  readonly wallClock?: () => number
  /** Key-value persistence for the clock and unsynced set (default: localStorage if present). */
  readonly kv?: KeyValue
  /** The clock handshake endpoint (`GET -> {now}`); default: derived from the first endpoint. */
  readonly timeUrl?: string
}

/** The little persistence the device needs besides documents. */
export interface KeyValue {
  get(key: string): string | null
  set(key: string, value: string): void
}

/** One sync endpoint's connection. */
export interface EndpointStatus {
  readonly url: string
  readonly state: 'connecting' | 'open' | 'closed' | 'token-rejected'
  readonly lastConnectedAt: number | null
}

/** What the status bar shows. */
export interface SyncStatus {
  readonly state: 'online' | 'via-hub' | 'via-relay' | 'offline'
  readonly endpoints: readonly EndpointStatus[]
  readonly peers: readonly string[]
  /** Local documents with changes no relay or hub has confirmed yet. */
  readonly unsynced: number
  readonly lastSyncAt: number | null
  readonly skew: SkewReport | undefined
}

/** What changed, for screens that list many documents. */
export interface ChangeEvent {
  readonly url: AutomergeUrl
  readonly kind: 'store' | 'table' | 'order'
}

/** An order and everything derived about it. */
export interface OrderEntry {
  readonly url: AutomergeUrl
  readonly summary: OrderSummary
}

/** An open terminal device. */
export interface Device {
  readonly deviceId: string
  readonly repo: Repo
  readonly clock: HybridClock
  readonly storeUrl: AutomergeUrl
  /** Resolves once the store document and its tables are loaded. */
  ready(): Promise<void>
  store(): StoreData
  context(): CommandContext
  onStore(cb: (store: StoreData) => void): () => void
  /** Adds this device to the store's device list (idempotent). */
  registerSelf(name: string): Promise<void>
  openOrder(tableId: string, options?: { guests?: number }): Promise<{ orderId: string; url: AutomergeUrl }>
  /** Runs a core command on an order; resolves after the change is saved locally. */
  run<R>(url: AutomergeUrl, command: (doc: OrderDoc, ctx: CommandContext) => R): Promise<R>
  /** Attaches an order moved to another table to that table's document. */
  attachToTable(url: AutomergeUrl, tableId: string): Promise<void>
  watchOrder(url: AutomergeUrl, cb: (summary: OrderSummary) => void): () => void
  orderSummary(url: AutomergeUrl): Promise<OrderSummary>
  /** Every known order of a business day (default: today's), from the table documents. */
  ordersOfDay(businessDate?: string): Promise<OrderEntry[]>
  /** Orders referenced by a table's document. */
  tableOrders(tableId: string): Promise<OrderEntry[]>
  /** The orders loaded so far (recent business days), synchronously. */
  loadedOrders(): OrderEntry[]
  /** Today's business date by this device's calibrated clock. */
  today(): string
  onChange(cb: (event: ChangeEvent) => void): () => void
  status(): SyncStatus
  onStatus(cb: (status: SyncStatus) => void): () => void
  /** Asks the server for its time again (after reconnecting). */
  calibrate(): Promise<SkewReport | undefined>
  flush(): Promise<void>
  close(): Promise<void>
}

const DAY_MS = 86_400_000
/** Orders of this many past business days are loaded for the floor and reports. */
const RECENT_DAYS = 2

function memoryKv(): KeyValue {
  const m = new Map<string, string>()
  return { get: (k) => m.get(k) ?? null, set: (k, v) => void m.set(k, v) }
}

function defaultKv(): KeyValue {
  if (typeof localStorage === 'undefined') return memoryKv()
  return { get: (k) => localStorage.getItem(k), set: (k, v) => localStorage.setItem(k, v) }
}

/** `ws://host/sync` -> `http://host/time`: the relay's clock handshake endpoint. */
export function timeUrlOf(endpoint: string): string {
  const u = new URL(endpoint)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  u.pathname = u.pathname.replace(/\/sync$/, '') + '/time'
  u.search = ''
  return u.toString().replace(/([^:])\/\/time/, '$1/time')
}

async function createStorage(option: StorageOption, deviceId: string) {
  if (option === 'memory') return undefined
  if (option === 'indexeddb') {
    const { IndexedDBStorageAdapter } = await import('@automerge/automerge-repo-storage-indexeddb')
    return new IndexedDBStorageAdapter(`tabsync-${deviceId}`)
  }
  return option
}

function sameHeads(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false
  const set = new Set(a)
  return b.every((h) => set.has(h))
}

/** Opens a device: storage, networks, clock. Call `ready()` before using the store. */
export async function openDevice(options: DeviceOptions): Promise<Device> {
  const { deviceId, storeUrl } = options
  const kv = options.kv ?? defaultKv()
  const wall = options.wallClock ?? Date.now
  const suffix = options.peerSuffix ?? Math.random().toString(36).slice(2, 10)
  const peerId = `${deviceId}/${suffix}` as PeerId

  const clockKey = `tabsync.clock.${deviceId}`
  const offsetKey = `tabsync.offset.${deviceId}`
  const dirtyKey = `tabsync.unsynced.${deviceId}`
  const savedClock = kv.get(clockKey)
  const clock = createHybridClock({
    node: deviceId,
    wallClock: wall,
    state: savedClock ? (JSON.parse(savedClock) as ClockState) : undefined,
    onState: (s) => kv.set(clockKey, JSON.stringify(s)),
  })
  // A device calibrated once keeps its correction across restarts, even offline.
  const savedOffset = kv.get(offsetKey)
  if (savedOffset !== null) clock.calibrate(wall() + Number(savedOffset))

  const network: NetworkAdapterInterface[] = []
  const sockets = (options.endpoints ?? []).map((url) => {
    const full = options.token ? `${url}?token=${encodeURIComponent(options.token)}` : url
    return {
      url,
      adapter: new WebSocketClientAdapter(full, 2000),
      state: 'connecting' as EndpointStatus['state'],
      lastConnectedAt: null as number | null,
      serverPeer: undefined as PeerId | undefined,
    }
  })
  for (const s of sockets) network.push(s.adapter)
  if (options.broadcastChannel ?? typeof BroadcastChannel !== 'undefined') {
    const { BroadcastChannelNetworkAdapter } = await import(
      '@automerge/automerge-repo-network-broadcastchannel'
    )
    network.push(new BroadcastChannelNetworkAdapter({ channelName: `tabsync:${storeUrl}` }))
  }
  const storage = await createStorage(options.storage, deviceId)
  const repo = new Repo({
    peerId,
    network,
    ...(storage ? { storage } : {}),
    sharePolicy: async () => true,
  })

  // ---- listeners ---------------------------------------------------------------------------
  const changeListeners = new Set<(e: ChangeEvent) => void>()
  const storeListeners = new Set<(s: StoreData) => void>()
  const statusListeners = new Set<(s: SyncStatus) => void>()
  const emitChange = (e: ChangeEvent) => changeListeners.forEach((cb) => cb(e))

  // ---- sync status -------------------------------------------------------------------------
  const dirty = new Set<AutomergeUrl>(JSON.parse(kv.get(dirtyKey) ?? '[]') as AutomergeUrl[])
  let lastSyncAt: number | null = null
  const saveDirty = () => kv.set(dirtyKey, JSON.stringify([...dirty]))
  const serverStorageIds = (): StorageId[] =>
    sockets
      .map((s) => (s.serverPeer ? repo.getStorageIdOfPeer(s.serverPeer) : undefined))
      .filter((x): x is StorageId => x !== undefined)
  const recheckDirty = () => {
    const ids = serverStorageIds()
    if (ids.length === 0) return
    let changed = false
    for (const url of dirty) {
      const handle = handles.get(url)
      if (!handle?.isReady()) continue
      const heads = handle.heads()
      if (ids.some((id) => sameHeads(handle.getSyncInfo(id)?.lastHeads, heads))) {
        dirty.delete(url)
        lastSyncAt = wall()
        changed = true
      }
    }
    if (changed) {
      saveDirty()
      publishStatus()
    }
  }
  let lastStatus = ''
  const status = (): SyncStatus => {
    const open = sockets.some((s) => s.state === 'open')
    return {
      state: open ? 'online' : 'offline',
      endpoints: sockets.map((s) => ({
        url: s.url,
        state: s.state,
        lastConnectedAt: s.lastConnectedAt,
      })),
      peers: repo.peers,
      unsynced: dirty.size,
      lastSyncAt,
      skew: clock.skew(),
    }
  }
  const publishStatus = () => {
    const s = status()
    const key = JSON.stringify(s)
    if (key === lastStatus) return
    lastStatus = key
    statusListeners.forEach((cb) => cb(s))
  }

  const calibrate = async (): Promise<SkewReport | undefined> => {
    const endpoint = sockets.find((s) => s.state === 'open') ?? sockets[0]
    const url = options.timeUrl ?? (endpoint ? timeUrlOf(endpoint.url) : undefined)
    if (!url || typeof fetch === 'undefined') return clock.skew()
    try {
      const sent = wall()
      const res = await fetch(url, { cache: 'no-store' })
      const body = (await res.json()) as { now: number }
      const received = wall()
      const report = clock.calibrate(body.now + (received - sent) / 2)
      kv.set(offsetKey, String(report.offsetMs))
      publishStatus()
      return report
    } catch {
      return clock.skew()
    }
  }

  for (const s of sockets) {
    s.adapter.on('peer-candidate', ({ peerId: remote }) => {
      s.serverPeer = remote
      s.state = 'open'
      s.lastConnectedAt = wall()
      lastSyncAt = wall()
      publishStatus()
      void calibrate()
      // The server's storage id arrives with the peer; sync confirmations follow shortly.
      setTimeout(recheckDirty, 500)
    })
    s.adapter.on('peer-disconnected', () => {
      s.state = 'closed'
      publishStatus()
    })
  }
  // A browser that says it is offline keeps stale sockets open (and so does Chromium's
  // emulation): close them and reconnect when the browser is back online.
  const onOffline = () => {
    for (const s of sockets) {
      if (s.adapter.socket) s.adapter.disconnect()
      s.state = 'closed'
    }
    publishStatus()
  }
  const onOnline = () => {
    for (const s of sockets) {
      if (!s.adapter.socket && s.adapter.peerId) {
        s.state = 'connecting'
        s.adapter.connect(s.adapter.peerId, s.adapter.peerMetadata)
      }
    }
    publishStatus()
  }
  if (typeof window !== 'undefined') {
    window.addEventListener('offline', onOffline)
    window.addEventListener('online', onOnline)
  }
  const statusTimer = setInterval(() => {
    recheckDirty()
    publishStatus()
  }, 1000)

  // ---- documents ---------------------------------------------------------------------------
  const handles = new Map<AutomergeUrl, DocHandle<unknown>>()
  const orders = new Map<AutomergeUrl, OrderSummary>()
  const orderWatchers = new Map<AutomergeUrl, Set<(s: OrderSummary) => void>>()
  let storeData: StoreData | undefined
  const tableRefs = new Map<string, TableData>()

  const find = async <T>(url: AutomergeUrl): Promise<DocHandle<T>> => {
    const known = handles.get(url)
    if (known) return known as DocHandle<T>
    const handle = await repo.find<T>(url, { allowableStates: ['ready', 'unavailable'] })
    // Unavailable is not final: the document may arrive once a peer connects.
    await handle.whenReady()
    handles.set(url, handle as DocHandle<unknown>)
    handle.on('remote-heads', () => recheckDirty())
    return handle
  }

  const onOrderDoc = (url: AutomergeUrl, doc: OrderDoc) => {
    const summary = summarizeOrder(doc)
    // Absorb the latest time seen from peers: our next entries sort after theirs.
    try {
      clock.receive(latestStamp(summary.order))
    } catch {
      /* a malformed stamp from a peer is ignored; the clock stays where it was */
    }
    orders.set(url, summary)
    orderWatchers.get(url)?.forEach((cb) => cb(summary))
    emitChange({ url, kind: 'order' })
  }

  const loading = new Map<AutomergeUrl, Promise<OrderSummary>>()
  const loadOrder = (url: AutomergeUrl): Promise<OrderSummary> => {
    let p = loading.get(url)
    if (!p) {
      p = find<OrderDoc>(url).then((handle) => {
        handle.on('change', ({ doc }) => onOrderDoc(url, doc))
        onOrderDoc(url, handle.doc())
        return orders.get(url) as OrderSummary
      })
      loading.set(url, p)
    }
    return p
  }

  const recentDates = (): Set<string> => {
    const rule = storeData ?? { dayStartHour: 5, timeZone: 'UTC' }
    const now = clock.physicalMs()
    return new Set(
      Array.from({ length: RECENT_DAYS }, (_, i) => businessDate(now - i * DAY_MS, rule)),
    )
  }

  const onTableDoc = (url: AutomergeUrl, doc: TableDoc) => {
    const table = decode<TableData>(doc)
    tableRefs.set(table.tableId, table)
    const recent = recentDates()
    for (const ref of Object.values(table.orders)) {
      if (recent.has(ref.businessDate) && isValidAutomergeUrl(ref.url)) void loadOrder(ref.url)
    }
    emitChange({ url, kind: 'table' })
  }

  const loadedTables = new Set<string>()
  const loadTables = async (store: StoreData) => {
    await Promise.all(
      Object.values(store.tables).map(async (t) => {
        if (loadedTables.has(t.id) || !isValidAutomergeUrl(t.url)) return
        loadedTables.add(t.id)
        const handle = await find<TableDoc>(t.url)
        handle.on('change', ({ doc }) => onTableDoc(t.url as AutomergeUrl, doc))
        onTableDoc(t.url as AutomergeUrl, handle.doc())
      }),
    )
  }

  let readyPromise: Promise<void> | undefined
  const ready = () =>
    (readyPromise ??= (async () => {
      const handle = await find<StoreDoc>(storeUrl)
      const onStoreDoc = (doc: StoreDoc) => {
        storeData = decode<StoreData>(doc)
        storeListeners.forEach((cb) => cb(storeData as StoreData))
        emitChange({ url: storeUrl, kind: 'store' })
        void loadTables(storeData)
      }
      handle.on('change', ({ doc }) => onStoreDoc(doc))
      onStoreDoc(handle.doc())
      await loadTables(storeData as unknown as StoreData)
    })())

  const mustStore = (): StoreData => {
    if (!storeData) throw new Error('the store is not loaded yet: await device.ready()')
    return storeData
  }
  const context = (): CommandContext => ({ deviceId, clock, store: mustStore() })

  const markDirty = (url: AutomergeUrl) => {
    dirty.add(url)
    saveDirty()
    publishStatus()
  }
  const flushDocs = async (urls: AutomergeUrl[]) => {
    const ids = urls.map((u) => u.slice('automerge:'.length) as DocumentId)
    await repo.flush(ids)
  }

  const tableUrl = (tableId: string): AutomergeUrl => {
    const t = mustStore().tables[tableId]
    if (!t || !isValidAutomergeUrl(t.url)) throw new Error(`unknown table ${tableId}`)
    return t.url
  }

  const entriesOf = (urls: Iterable<AutomergeUrl>) =>
    Promise.all([...urls].map(async (url) => ({ url, summary: await loadOrder(url) })))

  return {
    deviceId,
    repo,
    clock,
    storeUrl,
    ready,
    store: mustStore,
    context,
    onStore(cb) {
      storeListeners.add(cb)
      return () => storeListeners.delete(cb)
    },
    async registerSelf(name) {
      const handle = await find<StoreDoc>(storeUrl)
      const existing = mustStore().devices[deviceId]
      if (existing?.name === name) return
      handle.change((d) => registerDevice(d, { id: deviceId, name, role: 'terminal' }))
      markDirty(storeUrl)
      await flushDocs([storeUrl])
    },
    async openOrder(tableId, opts = {}) {
      const tUrl = tableUrl(tableId)
      const entry = openOrderEntry(context(), {
        tableId,
        ...(opts.guests !== undefined ? { guests: opts.guests } : {}),
      })
      const handle = repo.create<OrderDoc>(entry.doc)
      const url = handle.url
      handles.set(url, handle as DocHandle<unknown>)
      const table = await find<TableDoc>(tUrl)
      table.change((d) =>
        attachOrder(d, {
          orderId: entry.orderId,
          url,
          businessDate: entry.businessDate,
          openedAt: entry.openedAt,
          openedBy: deviceId,
        }),
      )
      markDirty(url)
      markDirty(tUrl)
      await flushDocs([url, tUrl])
      await loadOrder(url)
      return { orderId: entry.orderId, url }
    },
    async run(url, command) {
      const handle = await find<OrderDoc>(url)
      let result: unknown
      const ctx = context()
      handle.change((d) => {
        result = command(d, ctx)
      })
      markDirty(url)
      await flushDocs([url])
      return result as ReturnType<typeof command>
    },
    async attachToTable(url, tableId) {
      const summary = await loadOrder(url)
      const tUrl = tableUrl(tableId)
      const table = await find<TableDoc>(tUrl)
      const o = summary.order
      table.change((d) =>
        attachOrder(d, {
          orderId: o.orderId,
          url,
          businessDate: o.businessDate,
          openedAt: o.openedAt,
          openedBy: o.openedBy,
        }),
      )
      markDirty(tUrl)
      await flushDocs([tUrl])
    },
    watchOrder(url, cb) {
      let set = orderWatchers.get(url)
      if (!set) orderWatchers.set(url, (set = new Set()))
      set.add(cb)
      void loadOrder(url).then(cb)
      return () => set.delete(cb)
    },
    orderSummary: loadOrder,
    async ordersOfDay(date) {
      await ready()
      const day = date ?? businessDate(clock.physicalMs(), mustStore())
      const urls = new Set<AutomergeUrl>()
      for (const t of tableRefs.values())
        for (const ref of Object.values(t.orders))
          if (ref.businessDate === day && isValidAutomergeUrl(ref.url)) urls.add(ref.url)
      return entriesOf(urls)
    },
    async tableOrders(tableId) {
      await ready()
      const refs = Object.values(tableRefs.get(tableId)?.orders ?? {})
      return entriesOf(refs.map((r) => r.url).filter(isValidAutomergeUrl))
    },
    loadedOrders: () => [...orders].map(([url, summary]) => ({ url, summary })),
    today: () => businessDate(clock.physicalMs(), mustStore()),
    onChange(cb) {
      changeListeners.add(cb)
      return () => changeListeners.delete(cb)
    },
    status,
    onStatus(cb) {
      statusListeners.add(cb)
      return () => statusListeners.delete(cb)
    },
    calibrate,
    async flush() {
      await flushDocs([...handles.keys()].filter((u) => handles.get(u)?.isReady()))
    },
    async close() {
      clearInterval(statusTimer)
      if (typeof window !== 'undefined') {
        window.removeEventListener('offline', onOffline)
        window.removeEventListener('online', onOnline)
      }
      try {
        await this.flush()
        await repo.shutdown()
      } catch {
        /* a handle that never became ready makes shutdown reject; nothing is lost */
      }
    },
  }
}

/** Decoded order data of a summary (re-exported convenience for screens). */
export type { OrderData }
