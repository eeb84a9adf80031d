import {
  parseAutomergeUrl,
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type NetworkAdapterInterface,
  type PeerId,
  type Repo,
  type UrlHeads,
} from '@automerge/automerge-repo/slim'
import {
  assertWritable,
  attachOrder,
  migrate,
  pendingMigrations,
  businessDate,
  decode,
  initStoreDoc,
  initTableDoc,
  latestStamp,
  openOrder,
  summarizeOrder,
  transferOrder,
  TabsyncError,
  ErrorKind,
  type TransferInput,
  text,
  type CommandContext,
  type DemoTable,
  type HybridClock,
  type OrderDoc,
  type OrderRef,
  type OrderSummary,
  type StoreData,
  type StoreDoc,
  type StoreInit,
  type TableDoc,
  readOrder,
  tableDayRefs,
  withTableIndex,
} from '@tabsync/core'
import { CatchUp, type DocumentFetcher } from '../docs/catch-up.js'
import { createLimiter } from '../docs/limiter.js'
import { findDoc } from '../docs/find-doc.js'
import { SyncError, SyncErrorKind, isSyncError } from '../errors.js'
import {
  EndpointKind,
  EndpointState,
  isSyncLink,
  type EndpointStatus,
  type SyncLink,
} from '../network/sync-link.js'
import { WebSocketLink } from '../network/websocket-link.js'
import type { PersistentClock } from '../clock/persistent-clock.js'
import type { ClosableStorage } from '../storage/closable-storage.js'
import { DeviceKeys } from '../storage/device-keys.js'
import { connectionState, type SyncStatus } from '../status/sync-status.js'
import { UnsyncedTracker } from '../status/unsynced-tracker.js'
import type { Logger } from '../log/logger.js'
import { createStoreBoundDoc } from '../docs/create-bound.js'
import { openFirst } from './open-first.js'
import { updateHints } from './table-hints.js'
import { SummaryCache, type SummaryCacheStats } from './summary-cache.js'
import { dayDigests, type DayDigests } from './day-digests.js'
import { dayReport, watchDayReport, type DayReport } from './report-watch.js'

/** The kind of a Tabsync document, from its root `kind` field. */
export type DocKindName = 'store' | 'table' | 'order'

/** A change to a document this device has open. */
export interface ChangeEvent {
  readonly url: AutomergeUrl
  readonly kind: DocKindName
}

/** An order with its derived summary. */
export interface OrderEntry {
  readonly url: AutomergeUrl
  readonly summary: OrderSummary
}

/** What `createStore` takes: a store's configuration with tables that have no document yet. */
export type NewStore = Omit<StoreInit, 'tables'> & { readonly tables: readonly DemoTable[] }

/** The orders of a business day, and those that could not be had (see {@link Device.loadDay}). */
export interface DayOrders {
  /** Sorted by opening time. */
  readonly orders: OrderEntry[]
  /**
   * Orders the table documents list for the day whose document is neither on this device nor
   * obtainable from a connected hub or relay right now: a report without them is incomplete.
   */
  readonly missing: readonly OrderRef[]
  /**
   * Ids of the tables whose document is not on this device. Only a `localOnly` load leaves
   * tables out (any other load waits for them), so it is empty otherwise.
   */
  readonly missingTables: readonly string[]
}

/** What {@link Device.loadDay} is fetching or opening, for a progress display. */
export interface LoadProgress {
  /** 'tables' while the table documents are fetched and opened, then 'orders'. */
  readonly what: 'tables' | 'orders'
  /** Opened so far (or found missing) of `total`. */
  readonly done: number
  readonly total: number
}

/** Options of {@link Device.loadDay}. */
export interface LoadDayOptions {
  /**
   * Only what is stored on this device: no bulk fetch, no waiting for a peer. Resolves as fast
   * with a relay connected as without one (a screen shows this first, then loads again).
   */
  readonly localOnly?: boolean
  /** Called as the tables, then the orders, are opened. */
  readonly onProgress?: (progress: LoadProgress) => void
}

/** Which orders of a table {@link Device.tableOrders} returns. */
export interface TableOrdersOptions {
  /** A business date 'YYYY-MM-DD', or 'all'. Default: the current business date. */
  readonly businessDate?: string | 'all'
}

/** @internal What {@link openDevice} hands to the Device. */
export interface DeviceParts {
  readonly deviceId: string
  readonly repo: Repo
  readonly storage: ClosableStorage
  readonly clock: PersistentClock
  readonly wallClock: () => number
  readonly storeUrl: AutomergeUrl | undefined
  readonly upstreamAdapters: readonly NetworkAdapterInterface[]
  readonly random: () => number
  readonly reopen: boolean
  /** Deadline (ms) of `ready()`, `orderSummary()` and `watchOrder()` finding a document. */
  readonly findTimeoutMs: number
  /** Failures the device works around (see open-device.ts for the default). */
  readonly logger: Logger
}

/**
 * An open Tabsync device: its repo, clock, store and sync status. Create with `openDevice`.
 * Every action that changes a document resolves only after the change is in local storage
 * ("saved"), never before.
 */
export class Device {
  /** The stable id of this device (the `by` of every entry it writes). */
  readonly deviceId: string
  /** The automerge-repo Repo, for anything this API does not cover. */
  readonly repo: Repo
  /** This device's hybrid logical clock (persisted; calibrated against the relay's time). */
  readonly clock: HybridClock
  #parts: DeviceParts
  #storeUrl: AutomergeUrl | undefined
  #storeHandle: DocHandle<StoreDoc> | undefined
  #store: StoreData | undefined
  #storeLoading: Promise<DocHandle<StoreDoc>> | undefined
  #tracked = new Map<DocumentId, { handle: DocHandle<unknown>; off: () => void }>()
  #tracker: UnsyncedTracker
  #links: SyncLink[]
  #abort = new AbortController()
  /** Finds in flight are bounded (see limiter.ts). */
  #finds = createLimiter(64)
  /** Missing documents fetched in bulk before they are opened (see catch-up.ts). */
  #catchUp: CatchUp
  #storeListeners = new Set<(store: StoreData) => void>()
  #changeListeners = new Set<(event: ChangeEvent) => void>()
  #statusListeners = new Set<(status: SyncStatus) => void>()
  #lastStatusJson = ''
  #statusQueued = false
  #reopened: Promise<{ documents: number }>
  /** Order digests per heads, in memory and in storage (summary-cache.ts). */
  #summaries: SummaryCache
  #offs: (() => void)[] = []
  #closed = false

  constructor(parts: DeviceParts) {
    this.#parts = parts
    this.deviceId = parts.deviceId
    this.repo = parts.repo
    this.clock = parts.clock.clock
    this.#storeUrl = parts.storeUrl
    this.#tracker = new UnsyncedTracker(
      parts.storage,
      () => this.clock.physicalMs(),
      () => this.#statusChanged(),
    )
    this.#links = parts.upstreamAdapters.filter(isSyncLink)
    this.#catchUp = new CatchUp(parts.repo, parts.storage, () => this.#fetchers(), parts.logger)
    this.#summaries = new SummaryCache(parts.storage, parts.repo, { logger: parts.logger })
    this.#wireNetwork()
    this.#reopened = this.#reopen()
    // A failed re-open is reported through `whenReopened`; it must not be an unhandled rejection.
    this.#reopened.catch(() => undefined)
  }

  /** The store document's URL (undefined until paired or created). */
  get storeUrl(): AutomergeUrl | undefined {
    return this.#storeUrl
  }

  /**
   * Resolves when the store document is loaded (from storage, or from a peer on first pairing:
   * then it waits until a hub or relay that has it is reachable). Rejects with `no-store` when
   * the device has no store URL.
   */
  async ready(): Promise<void> {
    await this.#loadStore()
  }

  /**
   * Resolves when the documents of the current business day and every document with unsynced
   * local changes (from before a restart) are open again, hence announced to peers.
   */
  whenReopened(): Promise<{ documents: number }> {
    return this.#reopened
  }

  /** The store's configuration as plain data. Throws `no-store` before {@link ready}. */
  store(): StoreData {
    if (!this.#store) {
      throw new SyncError(SyncErrorKind.noStore, 'the store is not loaded: await device.ready()')
    }
    return this.#store
  }

  /** The context core commands take: this device, its clock, the current store. */
  context(): CommandContext {
    return { deviceId: this.deviceId, clock: this.clock, store: this.store() }
  }

  /** Calls `cb` with the store whenever its configuration changes. Returns an unsubscribe. */
  onStore(cb: (store: StoreData) => void): () => void {
    this.#storeListeners.add(cb)
    return () => this.#storeListeners.delete(cb)
  }

  /**
   * Creates a new store (back office / first start): one document per table, then the store
   * document listing them. The device adopts it. Resolves when everything is saved.
   */
  async createStore(init: NewStore): Promise<{ storeUrl: AutomergeUrl }> {
    this.#assertOpen()
    // Ids bound to the store (see docs/create-bound.ts): the relay refuses them to other stores.
    const tables = await Promise.all(
      init.tables.map(async (t) => ({
        info: t,
        handle: await createStoreBoundDoc<TableDoc>(
          this.repo,
          init.storeId,
          initTableDoc(init.storeId, t.id),
        ),
      })),
    )
    const storeInit: StoreInit = {
      ...init,
      tables: Object.fromEntries(
        tables.map(({ info, handle }) => [info.id, { ...info, url: handle.url }]),
      ),
    }
    const storeHandle = await createStoreBoundDoc<StoreDoc>(
      this.repo,
      init.storeId,
      initStoreDoc(storeInit),
    )
    for (const { handle } of tables) this.#track(handle as DocHandle<unknown>)
    this.#storeUrl = storeHandle.url
    this.#adoptStore(storeHandle)
    await Promise.all([
      this.#saved([
        storeHandle as DocHandle<unknown>,
        ...tables.map((t) => t.handle as DocHandle<unknown>),
      ]),
      this.#parts.storage.save(DeviceKeys.storeUrl, new TextEncoder().encode(storeHandle.url)),
    ])
    return { storeUrl: storeHandle.url }
  }

  /**
   * Opens a new check on a table: creates the order document and appends it to the table's
   * document. Resolves when both are saved.
   */
  async openOrder(
    tableId: string,
    options: { guests?: number } = {},
  ): Promise<{ orderId: string; url: AutomergeUrl }> {
    this.#assertOpen()
    await this.#loadStore()
    const ctx = this.context()
    const opened = openOrder(ctx, {
      tableId,
      ...(options.guests !== undefined ? { guests: options.guests } : {}),
    })
    const table = this.store().tables[tableId]
    if (!table) throw new SyncError(SyncErrorKind.wrongKind, `unknown table ${tableId}`)
    const tableHandle = await this.#open<TableDoc>(table.url as AutomergeUrl)
    prepareWrite(tableHandle)
    // The day's container exists before the change files the reference into it (table-index.ts).
    tableHandle.update((t) => withTableIndex(t, [opened.businessDate]))
    const handle = await createStoreBoundDoc<OrderDoc>(this.repo, ctx.store.storeId, opened.doc)
    this.#track(handle as DocHandle<unknown>)
    tableHandle.change((t) =>
      attachOrder(t, {
        orderId: opened.orderId,
        url: handle.url,
        businessDate: opened.businessDate,
        openedAt: opened.openedAt,
        openedBy: this.deviceId,
      }),
    )
    await this.#saved([handle as DocHandle<unknown>, tableHandle as DocHandle<unknown>])
    return { orderId: opened.orderId, url: handle.url }
  }

  /**
   * Runs a command against a document (an order unless `D` says otherwise) inside one change,
   * with this device's context. Resolves with the command's result once the change is saved.
   * A command that throws changes nothing and rejects with its error.
   *
   * @example
   * const lineId = await device.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'burger' }))
   */
  async run<R, D = OrderDoc>(
    url: AutomergeUrl,
    command: (doc: D, ctx: CommandContext) => R,
  ): Promise<R> {
    this.#assertOpen()
    await this.#loadStore()
    const handle = await this.#open<D>(url)
    const ctx = this.context()
    const before = handle.heads()
    prepareWrite(handle)
    let result: R | undefined
    handle.change((d) => {
      result = command(d as D, ctx)
    })
    const after = handle.heads()
    const changed = before.length !== after.length || before.some((h, i) => h !== after[i])
    if (changed) {
      await this.#saved([handle as DocHandle<unknown>])
      await this.#updateHints([handle as DocHandle<unknown>])
    }
    return result as R
  }

  /**
   * Combines two checks (moves every line, adjustment and payment of `sourceUrl` into
   * `targetUrl`), or moves some lines with `{ lineIds }`: core's `transferOrder` over both
   * documents, one change on each, resolved when both are saved. Idempotent and safe when two
   * devices do it at once. Returns the transfer id, or null when nothing was left to move.
   * A command error (a closed check, an unknown line) is core's TabsyncError, nothing changed.
   */
  async transferOrder(
    sourceUrl: AutomergeUrl,
    targetUrl: AutomergeUrl,
    input: TransferInput = {},
  ): Promise<string | null> {
    this.#assertOpen()
    await this.#loadStore()
    const [source, target] = await Promise.all([
      this.#openOrder(sourceUrl),
      this.#openOrder(targetUrl),
    ])
    const ctx = this.context()
    if (source === target) {
      // One handle cannot be inside two changes: refuse as core does for the same order.
      throw new TabsyncError(ErrorKind.invalidInput, 'a check cannot be combined with itself')
    }
    prepareWrite(source as DocHandle<unknown>)
    prepareWrite(target as DocHandle<unknown>)
    let id: string | null = null
    // The target first, the source inside it: if the command throws, neither change is kept.
    target.change((t) => {
      source.change((s) => {
        id = transferOrder(s, t, ctx, input)
      })
    })
    if (id !== null) {
      await this.#saved([source as DocHandle<unknown>, target as DocHandle<unknown>])
      await this.#updateHints([source, target] as DocHandle<unknown>[])
    }
    return id
  }

  /**
   * The summary of an order, waiting for the document if it is not here yet, at most
   * `findTimeoutMs` (an `openDevice` option). Rejects with an `unavailable` SyncError when no
   * peer gave it by then (a relay refusing a document looks the same as not having it), and with
   * `forbidden` when it arrived but belongs to another store.
   */
  async orderSummary(url: AutomergeUrl): Promise<OrderSummary> {
    return summarizeOrder((await this.#openOrder(url)).doc())
  }

  /** An order document of this device's store, within the find deadline. */
  async #openOrder(url: AutomergeUrl): Promise<DocHandle<OrderDoc>> {
    const handle = await this.#open<OrderDoc>(url, undefined, this.#parts.findTimeoutMs)
    const doc = handle.doc() as unknown as { storeId?: unknown; kind?: unknown }
    const storeId = text(doc.storeId as Parameters<typeof text>[0])
    if (this.#store && storeId !== this.#store.storeId) {
      throw new SyncError(
        SyncErrorKind.forbidden,
        `document ${url} belongs to another store, not ${this.#store.storeId}`,
        { url },
      )
    }
    if (text(doc.kind as Parameters<typeof text>[0]) !== 'order') {
      throw new SyncError(SyncErrorKind.wrongKind, `document ${url} is not an order`, { url })
    }
    return handle
  }

  /**
   * Calls `cb` with the order's summary now (once the document is here) and after every change,
   * local or remote. Returns an unsubscribe function.
   */
  watchOrder(
    url: AutomergeUrl,
    cb: (summary: OrderSummary) => void,
    onError?: (error: SyncError) => void,
  ): () => void {
    let stopped = false
    let handle: DocHandle<OrderDoc> | undefined
    const listener = () => {
      if (!stopped && handle?.isReady()) cb(summarizeOrder(handle.doc()))
    }
    // Like orderSummary: a refused or absent document ends in `onError` (unavailable or
    // forbidden) within findTimeoutMs instead of never calling back.
    this.#openOrder(url).then(
      (h) => {
        if (stopped) return
        handle = h
        h.on('change', listener)
        listener()
      },
      (e: unknown) => {
        if (!stopped && onError && isSyncError(e)) onError(e)
      },
    )
    return () => {
      stopped = true
      handle?.off('change', listener)
    }
  }

  /**
   * Every order of a business day (default: today by the hybrid clock and the store's day rule),
   * found through the table documents, sorted by opening time. Orders whose document is neither
   * here nor obtainable from a connected peer within a few attempts are left out: use
   * {@link loadDay} to know which.
   */
  async ordersOfDay(date?: string): Promise<OrderEntry[]> {
    return (await this.loadDay(date)).orders
  }

  /**
   * The orders of a business day (default: today) and the ones that could not be had. Orders this
   * device does not have yet are first fetched in bulk from the hub or relay (newest first), so a
   * new device gets a day of thousands of orders in a few requests; each then syncs as usual.
   * With `localOnly`, only what is stored here, at once whether or not a relay answers (a screen
   * shows that first); `onProgress` reports the tables, then the orders, as they open.
   */
  async loadDay(date?: string, options: LoadDayOptions = {}): Promise<DayOrders> {
    await this.#loadStore()
    return this.#ordersOf(Object.keys(this.store().tables), date ?? this.businessDate(), options)
  }

  /**
   * The orders opened on a table (default: those of the current business day), sorted by
   * opening time. Same availability rule as {@link ordersOfDay}.
   */
  async tableOrders(tableId: string, options: TableOrdersOptions = {}): Promise<OrderEntry[]> {
    await this.#loadStore()
    if (!this.store().tables[tableId]) {
      throw new SyncError(SyncErrorKind.wrongKind, `unknown table ${tableId}`)
    }
    const day = options.businessDate ?? this.businessDate()
    return (await this.#ordersOf([tableId], day)).orders
  }

  /**
   * Brings every order of a business day (default: today) that this device does not have into
   * its storage, in bulk from the hub or relay, without loading them: afterwards the day is
   * available offline. {@link loadDay} does this on the way.
   */
  async fetchDay(date?: string): Promise<{ present: number; fetched: number; missing: number }> {
    await this.#loadStore()
    const { refs, first } = await this.#tableRefs(
      Object.keys(this.store().tables),
      date ?? this.businessDate(),
    )
    return this.#catchUpDay(refs, first)
  }

  /**
   * The digests (core's `OrderDigest`: totals, status, report lines) of a business day's orders
   * (default: today), opening only the orders whose digest this device cannot vouch for: a loaded
   * order gives it at its current heads, a stored one from the summary cache when its stored
   * chunks are exactly those the digest was derived from, the rest are opened (fetched in bulk
   * first unless `localOnly`). `opened` and `fromCache` say which was which.
   */
  async dayDigests(date?: string, options: { localOnly?: boolean } = {}): Promise<DayDigests> {
    await this.#loadStore()
    return dayDigests(
      {
        repo: this.repo,
        cache: this.#summaries,
        logger: this.#parts.logger,
        refsOfDay: (day, localOnly) =>
          this.#tables(Object.keys(this.store().tables), day, { localOnly }),
        present: (ids) => this.#catchUp.present(ids),
        fetch: (ids) => this.#catchUp.fetch(ids),
        openOrder: (url) => this.#open<OrderDoc>(url, 4),
      },
      date ?? this.businessDate(),
      options,
    )
  }

  /** The X/Z report of a business day (default: today) from {@link dayDigests}. */
  async salesReport(date?: string): Promise<DayReport> {
    await this.#loadStore()
    return dayReport(this.#reportHost(), date ?? this.businessDate())
  }

  /**
   * Calls `cb` with the day's X/Z report now and after every change to an order or table this
   * device has open, local or received (a report on screen shows the new figures). Returns an
   * unsubscribe function.
   */
  watchSalesReport(
    date: string,
    cb: (report: DayReport) => void,
    onError?: (error: unknown) => void,
  ): () => void {
    return watchDayReport(this.#reportHost(), date, cb, onError)
  }

  #reportHost() {
    return {
      dayDigests: (day: string) => this.dayDigests(day),
      store: () => this.store(),
      onChange: (cb: (event: ChangeEvent) => void) => this.onChange(cb),
    }
  }

  /** What the summary cache served and wrote (tests and the bench count opened documents). */
  summaryCacheStats(): Readonly<SummaryCacheStats> {
    return { ...this.#summaries.stats }
  }

  /** The current business date by this device's hybrid clock and the store's day rule. */
  businessDate(): string {
    return businessDate(this.clock.now(), this.store())
  }

  /** Calls `cb` after every change (local or remote) of a document this device has open. */
  onChange(cb: (event: ChangeEvent) => void): () => void {
    this.#changeListeners.add(cb)
    return () => this.#changeListeners.delete(cb)
  }

  /** The sync status right now. */
  status(): SyncStatus {
    const endpoints: EndpointStatus[] = this.#links.flatMap((l) => [...l.endpoints()])
    return {
      state: connectionState(endpoints),
      endpoints,
      peers: [...this.repo.peers],
      unsynced: this.#tracker.unsynced,
      unsyncedOrders: this.#tracker.pendingIds().filter((id) => this.#kindOf(id) === 'order')
        .length,
      unsyncedChanges: this.#tracker.unsyncedChanges,
      lastSyncAt: this.#tracker.lastSyncAt,
      skew: this.clock.skew(),
    }
  }

  /**
   * What a hub or relay has of a document this device has open, for "sent" labels that are
   * true: `{ all: true }` when no local change of it is waiting; otherwise `all: false` with
   * the document as of the heads each upstream last acknowledged (empty when none has
   * acknowledged any since this device started: assume nothing of it was sent).
   */
  upstreamCopy<T>(
    url: AutomergeUrl,
  ): { readonly all: true } | { readonly all: false; readonly copies: readonly T[] } {
    const handle = this.#tracked.get(parseAutomergeUrl(url).documentId)?.handle
    if (handle && !this.#tracker.isPending(handle.documentId)) return { all: true }
    const copies: T[] = []
    for (const heads of handle ? this.#tracker.acknowledgedHeads(handle) : []) {
      try {
        copies.push(handle!.view(heads as UrlHeads).doc() as T)
      } catch {
        // Heads this device has not received yet: that upstream's copy says nothing here.
      }
    }
    return { all: false, copies }
  }

  /** Calls `cb` whenever the status changes. Returns an unsubscribe function. */
  onStatus(cb: (status: SyncStatus) => void): () => void {
    this.#statusListeners.add(cb)
    return () => this.#statusListeners.delete(cb)
  }

  /**
   * Reconnects every WebSocket endpoint now instead of waiting out its backoff (call it when the
   * browser fires `online`). Endpoints whose token was rejected stay stopped.
   */
  reconnect(): void {
    for (const link of this.#links) {
      if (link instanceof WebSocketLink) link.reconnectNow()
    }
  }

  /** Writes every loaded document and the clock state to storage. */
  async flush(): Promise<void> {
    const ids = Object.values(this.repo.handles)
      .filter((h) => h.isReady())
      .map((h) => h.documentId)
    await Promise.all([this.repo.flush(ids), this.#parts.clock.persist()])
    await this.#summaries.flush()
  }

  /**
   * Disconnects from every peer, stops retries, flushes (unless `flush: false`, which tests use
   * to abandon a device whose storage "crashed") and releases the device.
   */
  async close(options: { flush?: boolean } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#abort.abort()
    for (const off of this.#offs) off()
    for (const { off } of this.#tracked.values()) off()
    for (const adapter of this.repo.networkSubsystem.adapters) {
      try {
        adapter.disconnect()
      } catch {
        // an adapter that never connected may refuse; it is being dropped anyway
      }
    }
    if (options.flush !== false) await Promise.all([this.flush(), this.#tracker.flushLastSync()])
    // Without a flush (a crash in tests) pending cache writes are dropped: entries are optional.
    await this.#summaries.close(options.flush !== false)
    await this.#parts.storage.close(options.flush !== false)
  }

  // --- internals -------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(SyncErrorKind.closed, 'the device is closed')
  }

  /** Finds a document (waiting while it is unavailable) and tracks it. */
  async #open<D>(
    url: AutomergeUrl,
    maxAttempts?: number,
    timeoutMs?: number,
  ): Promise<DocHandle<D>> {
    const handle = await this.#finds.run(() =>
      findDoc<D>(this.repo, url, {
        signal: this.#abort.signal,
        random: this.#parts.random,
        maxAttempts,
        timeoutMs,
      }),
    )
    this.#track(handle as DocHandle<unknown>)
    return handle
  }

  /** The order references of some tables for a day ('all': every day), newest first, once each. */
  async #tableRefs(
    tableIds: readonly string[],
    day: string | 'all',
    options: LoadDayOptions = {},
  ): Promise<{ refs: OrderRef[]; first: number }> {
    return await this.#tables(tableIds, day, options)
  }

  /** The order references of the tables for the day, and (localOnly) the tables not stored here. */
  async #tables(
    tableIds: readonly string[],
    day: string | 'all',
    { localOnly = false, onProgress }: LoadDayOptions = {},
  ): Promise<{ refs: OrderRef[]; first: number; missingTables: string[] }> {
    const ids = new Map(
      tableIds.flatMap((id) => {
        const docId = documentIdOf(this.store().tables[id]?.url ?? '')
        return docId ? [[id, docId] as const] : []
      }),
    )
    let wanted = [...ids.keys()]
    const missingTables: string[] = []
    if (localOnly) {
      // Never a request nor a find that could wait for a peer: only documents stored here.
      const here = new Set(await this.#catchUp.present([...ids.values()]))
      for (const id of wanted) if (!here.has(ids.get(id)!)) missingTables.push(id)
      wanted = wanted.filter((id) => here.has(ids.get(id)!))
    } else {
      // Reported before the fetch: a new device shows what it waits for, not a blank screen.
      onProgress?.({ what: 'tables', done: 0, total: wanted.length })
      await this.#catchUp.fetch([...ids.values()])
    }
    let done = 0
    onProgress?.({ what: 'tables', done, total: wanted.length })
    const lists = await Promise.all(
      wanted.map(async (id) => {
        const table = this.store().tables[id]!
        const handle = await this.#open<TableDoc>(table.url as AutomergeUrl)
        onProgress?.({ what: 'tables', done: ++done, total: wanted.length })
        // The day's index (and the legacy references), not every reference the table ever had.
        return tableDayRefs(handle.doc(), day)
      }),
    )
    const seen = new Set<string>()
    const hinted = lists.flat().filter((h) => !seen.has(h.ref.url) && seen.add(h.ref.url))
    return { ...openFirst(hinted), missingTables }
  }

  /**
   * Opens every order of the tables for the day. What is missing is fetched in bulk in two
   * steps: the checks hinted open and the newest unhinted ones, which open at once, then the
   * rest, which
   * open once all of it is stored. Opening an order starts its sync exchange with the relay;
   * holding those back keeps the relay free to answer the bulk requests first.
   */
  async #ordersOf(
    tableIds: readonly string[],
    day: string | 'all',
    options: LoadDayOptions = {},
  ): Promise<DayOrders> {
    const { refs, first, missingTables } = await this.#tables(tableIds, day, options)
    const { localOnly = false, onProgress } = options
    const missing: OrderRef[] = []
    let done = 0
    onProgress?.({ what: 'orders', done, total: refs.length })
    const open = async (ref: OrderRef) => {
      try {
        const h = await this.#open<OrderDoc>(ref.url as AutomergeUrl, 4)
        return { url: h.url, summary: summarizeOrder(h.doc()) }
      } catch (err) {
        // Not here yet (offline, or not synced): listed as missing, fetched by the next load.
        this.#parts.logger.debug({ err, url: ref.url }, 'order of the day not available')
        missing.push(ref)
        return undefined
      } finally {
        onProgress?.({ what: 'orders', done: ++done, total: refs.length })
      }
    }
    const opening: Promise<OrderEntry | undefined>[] = []
    if (localOnly) {
      // Stored orders only; the others are missing until a load that may fetch them.
      const here = new Set<string>(
        await this.#catchUp.present(refs.flatMap((r) => documentIdOf(r.url) ?? [])),
      )
      for (const ref of refs) {
        const id = documentIdOf(ref.url)
        if (id && here.has(id)) opening.push(open(ref))
        else {
          missing.push(ref)
          onProgress?.({ what: 'orders', done: ++done, total: refs.length })
        }
      }
    } else {
      await this.#catchUpDay(refs, first, async (step, index) => {
        const batch = step.map(open)
        opening.push(...batch)
        // The newest orders open before the rest is fetched: they compete for the same CPU.
        if (index === 0) await Promise.all(batch)
      })
    }
    const opened = await Promise.all(opening)
    const seen = new Set<string>()
    const orders: OrderEntry[] = []
    for (const e of opened) {
      if (!e || seen.has(e.summary.order.orderId)) continue
      seen.add(e.summary.order.orderId)
      orders.push(e)
    }
    orders.sort((a, b) => (a.summary.order.openedAt < b.summary.order.openedAt ? -1 : 1))
    return { orders, missing, missingTables }
  }

  /**
   * Fetches what is missing of `refs` (in opening order, see open-first.ts) in two steps: the
   * first `first` (the checks hinted open, the newest unhinted), then the rest; `afterStep` runs
   * (and is awaited) as soon as a step is stored (index 0: the first).
   */
  async #catchUpDay(
    refs: readonly OrderRef[],
    first: number,
    afterStep: (step: readonly OrderRef[], index: number) => Promise<void> | void = () => {},
  ): Promise<{ present: number; fetched: number; missing: number }> {
    const total = { present: 0, fetched: 0, missing: 0 }
    const steps = [refs.slice(0, first), refs.slice(first)]
    for (const [index, step] of steps.entries()) {
      const r = await this.#catchUp.fetch(step.flatMap((ref) => documentIdOf(ref.url) ?? []))
      total.present += r.present.length
      total.fetched += r.fetched.length
      total.missing += r.missing.length
      await afterStep(step, index)
    }
    return total
  }

  /** Bulk document fetchers of the hubs and relays that may answer, hubs first. */
  #fetchers(): DocumentFetcher[] {
    return this.#links
      .filter((l) => l.endpoints().some((e) => e.state !== EndpointState.tokenRejected))
      .sort(
        (a, b) =>
          Number(a.endpoints()[0]?.kind !== EndpointKind.hub) -
          Number(b.endpoints()[0]?.kind !== EndpointKind.hub),
      )
      .flatMap((l) =>
        l.fetchDocuments ? [(ids: readonly string[]) => l.fetchDocuments!(ids)] : [],
      )
  }

  #loadStore(): Promise<DocHandle<StoreDoc>> {
    if (this.#storeHandle) return Promise.resolve(this.#storeHandle)
    const url = this.#storeUrl
    if (!url) {
      return Promise.reject(
        new SyncError(
          SyncErrorKind.noStore,
          'no store: pass storeUrl to openDevice or createStore',
        ),
      )
    }
    this.#storeLoading ??= (async () => {
      // A new device gets the store document in bulk too (a request instead of a sync exchange).
      const id = documentIdOf(url)
      if (id) await this.#catchUp.fetch([id])
      const h = await this.#open<StoreDoc>(url, undefined, this.#parts.findTimeoutMs).catch(
        (e: unknown) => {
          // Let a later ready() try again (the hub may be reachable by then).
          this.#storeLoading = undefined
          throw e
        },
      )
      this.#adoptStore(h)
      void this.#parts.storage
        .save(DeviceKeys.storeUrl, new TextEncoder().encode(url))
        .catch((err: unknown) =>
          this.#parts.logger.warn({ err, url }, 'could not remember the store URL in storage'),
        )
      return h
    })()
    return this.#storeLoading
  }

  #adoptStore(handle: DocHandle<StoreDoc>): void {
    if (this.#storeHandle === handle) return
    this.#storeHandle = handle
    this.#track(handle as DocHandle<unknown>)
    this.#store = decode<StoreData>(handle.doc())
    for (const cb of [...this.#storeListeners]) cb(this.#store)
  }

  /** Watches a document: change events, clock absorption, unsynced tracking. */
  #track(handle: DocHandle<unknown>): void {
    if (this.#tracked.has(handle.documentId)) return
    const onChange = () => {
      if (!handle.isReady()) return
      const doc = handle.doc() as { kind?: unknown }
      const kind = text(doc.kind as string | undefined) as DocKindName
      if (kind === 'order') {
        this.#absorb(handle as DocHandle<OrderDoc>)
        this.#summaries.touched(handle as DocHandle<OrderDoc>)
      }
      if (kind === 'store' && handle === (this.#storeHandle as unknown)) {
        this.#store = decode<StoreData>(handle.doc() as StoreDoc)
        for (const cb of [...this.#storeListeners]) cb(this.#store)
      }
      for (const cb of [...this.#changeListeners]) cb({ url: handle.url, kind })
    }
    const onHeads = () => this.#tracker.check(handle)
    const onRemote = () => this.#tracker.check(handle, true)
    handle.on('change', onChange)
    handle.on('heads-changed', onHeads)
    handle.on('remote-heads', onRemote)
    this.#tracked.set(handle.documentId, {
      handle,
      off: () => {
        handle.off('change', onChange)
        handle.off('heads-changed', onHeads)
        handle.off('remote-heads', onRemote)
      },
    })
    this.#tracker.watch(handle)
    if (handle.isReady() && text((handle.doc() as { kind?: string }).kind) === 'order') {
      this.#absorb(handle as DocHandle<OrderDoc>)
      this.#summaries.touched(handle as DocHandle<OrderDoc>)
    }
  }

  /** The kind of a tracked document ('order', 'table', ...), undefined when not open. */
  #kindOf(id: DocumentId): string | undefined {
    const handle = this.#tracked.get(id)?.handle
    if (!handle?.isReady()) return undefined
    return text((handle.doc() as { kind?: string }).kind)
  }

  /** Feeds the latest stamp of an order into the hybrid clock. */
  #absorb(handle: DocHandle<OrderDoc>): void {
    try {
      this.clock.receive(latestStamp(readOrder(handle.doc())))
    } catch (err) {
      // A malformed stamp from a peer must not break the device; core validates on write.
      this.#parts.logger.warn({ err, documentId: handle.documentId }, 'malformed stamp ignored')
    }
  }

  /** The tables' open/closed hints of the orders among `handles` (table-hints.ts). */
  async #updateHints(handles: DocHandle<unknown>[]): Promise<void> {
    const orders = handles.filter(
      (h) => text((h.doc() as { kind?: string }).kind) === 'order',
    ) as DocHandle<OrderDoc>[]
    if (orders.length === 0 || !this.#store) return
    await updateHints(
      {
        store: () => this.store(),
        // Only a table here: "saved" must never wait for a peer because of a hint.
        openTable: async (url) => {
          const id = documentIdOf(url)
          const here = id && (await this.#catchUp.present([id])).length > 0
          return here ? this.#open<TableDoc>(url) : undefined
        },
        prepareWrite,
        saved: (hs) => this.#saved(hs),
        logger: this.#parts.logger,
      },
      orders,
    )
  }

  /** "Saved": the documents are flushed, their unsynced markers and the clock state written. */
  async #saved(handles: DocHandle<unknown>[]): Promise<void> {
    await Promise.all([
      this.repo.flush(handles.map((h) => h.documentId)),
      ...handles.map((h) => this.#tracker.markLocal(h)),
      this.#parts.clock.persist(),
    ])
    // A peer may have confirmed while the marker was being written.
    for (const h of handles) this.#tracker.check(h)
  }

  #wireNetwork(): void {
    for (const adapter of this.#parts.upstreamAdapters) {
      const link = isSyncLink(adapter) ? adapter : undefined
      const onPeer = ({
        peerId,
        peerMetadata,
      }: {
        peerId: PeerId
        peerMetadata: { storageId?: string }
      }) => {
        if (link && link.kindOf(peerId) === undefined) return
        this.#tracker.addUpstream(peerId, peerMetadata?.storageId as never)
        this.#tracker.checkAll()
        if (link) void this.#handshake(link, peerId)
        this.#statusChanged()
      }
      const onGone = ({ peerId }: { peerId: PeerId }) => {
        this.#tracker.removeUpstream(peerId)
        this.#statusChanged()
      }
      adapter.on('peer-candidate', onPeer)
      adapter.on('peer-disconnected', onGone)
      this.#offs.push(() => {
        adapter.off('peer-candidate', onPeer)
        adapter.off('peer-disconnected', onGone)
      })
      if (link) this.#offs.push(link.onEndpointsChange(() => this.#statusChanged()))
    }
    const net = this.repo.networkSubsystem
    const onAny = () => this.#statusChanged()
    net.on('peer', onAny)
    net.on('peer-disconnected', onAny)
    this.#offs.push(() => {
      net.off('peer', onAny)
      net.off('peer-disconnected', onAny)
    })
  }

  /**
   * The clock handshake: read the server's time, calibrate the hybrid clock (half the round
   * trip added), persist the clock, re-absorb open orders' stamps (now within the forward bound).
   */
  async #handshake(link: SyncLink, peerId: PeerId): Promise<void> {
    const wall = this.#parts.wallClock
    try {
      const t0 = wall()
      const reference = await link.referenceTime(peerId)
      const t1 = wall()
      if (this.#closed) return
      this.clock.calibrate(reference + (t1 - t0) / 2)
      for (const { handle } of this.#tracked.values()) {
        if (handle.isReady() && text((handle.doc() as { kind?: string }).kind) === 'order') {
          this.#absorb(handle as DocHandle<OrderDoc>)
        }
      }
      await this.#parts.clock.persist()
      this.#statusChanged()
    } catch (err) {
      // No /time (or it failed): keep the previous calibration; the next connect tries again.
      this.#parts.logger.info({ err }, 'clock calibration failed; keeping the previous one')
    }
  }

  /** Re-opens unsynced documents (markers) and the current business day's tables and orders. */
  async #reopen(): Promise<{ documents: number }> {
    if (!this.#parts.reopen) return { documents: 0 }
    const opened = new Set<string>()
    const openLocal = async (url: AutomergeUrl | DocumentId) => {
      try {
        // One find: local documents load from storage; unavailable ones have nothing to announce.
        const h = await this.repo.find<unknown>(url, { allowableStates: ['ready', 'unavailable'] })
        if (this.#closed || !h.isReady() || h.heads().length === 0) return undefined
        this.#track(h)
        opened.add(h.documentId)
        return h
      } catch {
        return undefined
      }
    }
    const pending = await this.#tracker.load()
    const stored = new Set(await this.#catchUp.present(pending))
    await Promise.all(
      pending.map(async (id) => {
        if (stored.has(id)) await openLocal(id)
        else
          await this.#tracker
            .drop(id)
            .catch((err: unknown) =>
              this.#parts.logger.warn({ err, documentId: id }, 'unsynced marker not dropped'),
            )
      }),
    )
    if (this.#storeUrl) {
      const store = await this.#loadStore()
      opened.add(store.documentId)
      const day = this.businessDate()
      const tableUrls = Object.values(this.store().tables).map((t) => t.url)
      await this.#catchUp.fetch(tableUrls.flatMap((u) => documentIdOf(u) ?? []))
      const tables = await Promise.all(
        tableUrls.map(
          (url) => openLocal(url as AutomergeUrl) as Promise<DocHandle<TableDoc> | undefined>,
        ),
      )
      const refs = tables.flatMap((h) => (h ? tableDayRefs(h.doc(), day).map((r) => r.ref) : []))
      // Orders stored here are announced again. A new device has none: it fetches the day in bulk
      // when it asks for it (loadDay), newest first, rather than all of it here.
      const stored = await this.#catchUp.present(refs.flatMap((r) => documentIdOf(r.url) ?? []))
      await Promise.all(stored.map((id) => openLocal(id)))
    }
    return { documents: opened.size }
  }

  #statusChanged(): void {
    if (this.#statusQueued) return
    this.#statusQueued = true
    queueMicrotask(() => {
      this.#statusQueued = false
      if (this.#statusListeners.size === 0) return
      const status = this.status()
      const json = JSON.stringify(status)
      if (json === this.#lastStatusJson) return
      this.#lastStatusJson = json
      for (const cb of [...this.#statusListeners]) cb(status)
    })
  }
}

/** The document id of an automerge URL, or undefined when it is not one (a peer wrote it). */
function documentIdOf(url: string): DocumentId | undefined {
  try {
    return parseAutomergeUrl(url as AutomergeUrl).documentId
  } catch {
    return undefined
  }
}

/**
 * The compatibility policy before any write (core's `runCommand` on a handle): a document of a
 * newer schema is refused with `newer-schema` (nothing written, it keeps syncing untouched), an
 * older one is raised by core's deterministic migrations, identical on every device.
 */
function prepareWrite(handle: DocHandle<unknown>): void {
  const doc = handle.doc()
  assertWritable(doc)
  if (pendingMigrations(doc).length > 0) handle.update((d) => migrate(d))
}
