import type {
  AutomergeUrl,
  DocumentId,
  NetworkAdapterInterface,
  Repo,
} from '@automerge/automerge-repo/slim'
import type {
  CommandContext,
  HybridClock,
  OrderDoc,
  OrderSummary,
  StoreData,
  TransferInput,
} from '@tabsync/core'
import { ServerFeature } from '@tabsync/protocol'
import type { PersistentClock } from '../clock/persistent-clock.js'
import { CatchUp } from '../docs/catch-up.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { SyncStatus } from '../status/sync-status.js'
import { SyncGate } from '../repo/sync-gate.js'
import { UnsyncedTracker } from '../status/unsynced-tracker.js'
import type { RepoChunks } from '../docs/repo-chunks.js'
import type { ClosableStorage } from '../storage/closable-storage.js'
import { DeviceKeys } from '../storage/device-keys.js'
import { ClockHandshake } from './clock-handshake.js'
import {
  DayLoader,
  type DayOrders,
  type LoadDayOptions,
  type OrderEntry,
  type TableOrdersOptions,
} from './day-loader.js'
import { watchDays, type DayView, type DayWatch, type WatchDaysOptions } from './day-view.js'
import { NetworkStatus } from './network-status.js'
import { OpenDocs, type ChangeEvent } from './open-docs.js'
import { ChangePush, isChangeLink } from '../network/change-push.js'
import { OrderCommands } from './order-commands.js'
import { reopenAfterRestart } from './restart-reopen.js'
import { StoreSession, type NewStore } from './store-session.js'
import { LegacyChecks } from './legacy-checks.js'
import { SummaryCache, type SummaryCacheStats } from './summary-cache.js'
import { dayDigests, type DayDigests, type DayDigestsOptions } from './day-digests.js'
import { TableDays } from './table-days.js'
import { dayReport, watchDayReport, type DayReport } from './report-watch.js'

export type { ChangeEvent, DocKindName } from './open-docs.js'

/**
 * How long `close()` waits at most (and never longer than `findTimeoutMs`) for the documents
 * the device is still opening or fetching in bulk, so that what it was bringing in is stored.
 */
const CLOSE_SETTLE_MS = 3_000
export type {
  DayOrders,
  LoadDayOptions,
  LoadProgress,
  OrderEntry,
  TableOrdersOptions,
} from './day-loader.js'
export type { NewStore } from './store-session.js'
export type { DayOrder, DayView, WatchDaysOptions } from './day-view.js'

/** @internal What {@link openDevice} hands to the Device. */
export interface DeviceParts {
  readonly deviceId: string
  readonly repo: Repo
  readonly storage: ClosableStorage
  /** The storage the repo goes through, noting the chunks it saved and loaded. */
  readonly repoChunks: RepoChunks
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
  /** False: the hub and relay links start closed (`setOnline(true)` opens them). Default true. */
  readonly online?: boolean
  /** The repo's share policy, holding back the sync of documents a cold start is opening. */
  readonly syncGate?: SyncGate
}

/**
 * An open Tabsync device: its repo, clock, store and sync status. Create with `openDevice`.
 * Every action that changes a document resolves only after the change is in local storage
 * ("saved"), never before.
 *
 * A facade over parts with one job each (this folder): {@link OpenDocs} (finding and watching
 * documents, "saved"), {@link StoreSession} (the store), {@link OrderCommands}, {@link DayLoader}
 * (one-shot day loads), {@link NetworkStatus} (links, status, online/offline),
 * {@link ClockHandshake}, and the restart re-opening (restart-reopen.ts).
 */
export class Device {
  /** The stable id of this device (the `by` of every entry it writes). */
  readonly deviceId: string
  /** The automerge-repo Repo, for anything this API does not cover. */
  readonly repo: Repo
  /** This device's hybrid logical clock (persisted; calibrated against the relay's time). */
  readonly clock: HybridClock
  readonly #parts: DeviceParts
  readonly #abort = new AbortController()
  readonly #tracker: UnsyncedTracker
  readonly #docs: OpenDocs
  readonly #changePush: ChangePush
  readonly #session: StoreSession
  readonly #commands: OrderCommands
  readonly #days: DayLoader
  readonly #network: NetworkStatus
  readonly #catchUp: CatchUp
  readonly #tableDays: TableDays
  readonly #views = new Set<DayWatch>()
  /** Order digests per heads, in memory and in storage (summary-cache.ts). */
  readonly #summaries: SummaryCache
  readonly #reopened: Promise<{ documents: number }>
  #closed = false

  constructor(parts: DeviceParts) {
    this.#parts = parts
    this.deviceId = parts.deviceId
    this.repo = parts.repo
    this.clock = parts.clock.clock
    const { repo, storage, logger } = parts
    const signal = this.#abort.signal
    const assertOpen = () => this.#assertOpen()
    // The tracker and the handshake report to the status, which is built from them: late-bound.
    const statusChanged = () => this.#network?.changed()
    this.#tracker = new UnsyncedTracker(storage, () => this.clock.physicalMs(), statusChanged)
    const summaries = new SummaryCache(storage, repo, { logger, repoChunks: parts.repoChunks })
    this.#summaries = summaries
    this.#changePush = new ChangePush(repo, parts.upstreamAdapters.filter(isChangeLink), logger)
    const handshake: ClockHandshake = new ClockHandshake({
      clock: parts.clock,
      wallClock: parts.wallClock,
      openOrders: () => this.#docs.orders(),
      signal,
      logger,
      calibrated: statusChanged,
    })
    this.#docs = new OpenDocs({
      repo,
      tracker: this.#tracker,
      signal,
      random: parts.random,
      orderSeen: (h, change) => {
        handshake.absorb(h, change?.patchInfo)
        summaries.touched(h)
      },
      persistClock: () => parts.clock.persist(),
      droppedWrites: () => parts.storage.droppedWrites,
      changed: (handle, { patchInfo }) =>
        this.#changePush.changed(handle, patchInfo.before, patchInfo.after),
    })
    this.#network = new NetworkStatus({
      repo,
      upstreamAdapters: parts.upstreamAdapters,
      tracker: this.#tracker,
      docs: this.#docs,
      clock: this.clock,
      handshake,
      online: parts.online ?? true,
      featuresUsed: () =>
        this.#session?.loaded()?.tableDaysFrom !== undefined ? [ServerFeature.tableDays] : [],
    })
    const catchUp = new CatchUp(repo, storage, () => this.#network.fetchers(), logger)
    this.#catchUp = catchUp
    this.#session = new StoreSession({
      deviceId: parts.deviceId,
      repo,
      storage,
      clock: this.clock,
      docs: this.#docs,
      catchUp,
      storeUrl: parts.storeUrl,
      findTimeoutMs: parts.findTimeoutMs,
      logger,
      assertOpen,
    })
    // A store opting in to a feature may make a server outdated (SyncStatus.outdated).
    this.#session.onStore(statusChanged)
    const tableDays = new TableDays({
      repo,
      docs: this.#docs,
      catchUp,
      store: () => this.#session.store(),
      today: () => this.#session.businessDate(),
      signal,
      logger,
    })
    this.#tableDays = tableDays
    this.#commands = new OrderCommands({
      deviceId: parts.deviceId,
      repo,
      docs: this.#docs,
      session: this.#session,
      findTimeoutMs: parts.findTimeoutMs,
      catchUp,
      summaries,
      tableDays,
      logger,
      assertOpen,
      commit: (handle, callback) => this.#changePush.change(handle, callback),
    })
    this.#days = new DayLoader({
      repo,
      storage,
      docs: this.#docs,
      session: this.#session,
      catchUp,
      summaries,
      syncGate: parts.syncGate ?? new SyncGate(),
      tableDays,
      legacyChecks: new LegacyChecks(storage, repo, logger),
      logger,
    })
    this.#reopened = parts.reopen
      ? reopenAfterRestart({
          repo,
          docs: this.#docs,
          session: this.#session,
          tracker: this.#tracker,
          catchUp,
          days: this.#days,
          signal,
          logger,
        })
      : Promise.resolve({ documents: 0 })
    // A failed re-open is reported through `whenReopened`; it must not be an unhandled rejection.
    this.#reopened.catch(() => undefined)
  }

  /** The store document's URL (undefined until paired or created). */
  get storeUrl(): AutomergeUrl | undefined {
    return this.#session.url
  }

  /**
   * Resolves when the store document is loaded (from storage, or from a peer on first pairing:
   * then it waits until a hub or relay that has it is reachable). Rejects with `no-store` when
   * the device has no store URL.
   */
  async ready(): Promise<void> {
    await this.#session.load()
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
    return this.#session.store()
  }

  /** The context core commands take: this device, its clock, the current store. */
  context(): CommandContext {
    return this.#session.context()
  }

  /** Calls `cb` with the store whenever its configuration changes. Returns an unsubscribe. */
  onStore(cb: (store: StoreData) => void): () => void {
    return this.#session.onStore(cb)
  }

  /**
   * Creates a new store (back office / first start): one document per table, then the store
   * document listing them. The device adopts it. Resolves when everything is saved.
   *
   * A hub or relay that answered without `table-days` (older than them) would refuse the
   * store's table-day documents: the store then stays on table documents unless `tableDaysFrom`
   * asks for a date, which is refused (`server-outdated`). Update the relays first.
   */
  async createStore(init: NewStore): Promise<{ storeUrl: AutomergeUrl }> {
    const outdated =
      init.tableDaysFrom === null ? [] : this.#network.lacking(ServerFeature.tableDays)
    if (outdated.length > 0) {
      if (init.tableDaysFrom !== undefined) {
        // Not status().outdated: that lists what the device's loaded store uses (none yet).
        throw new SyncError(
          SyncErrorKind.serverOutdated,
          'a hub or relay of this device does not serve table-day documents: update it before the store uses them',
          { feature: ServerFeature.tableDays, servers: outdated.map((s) => s.url) },
        )
      }
      this.#parts.logger.warn(
        { feature: ServerFeature.tableDays },
        'a hub or relay does not serve table-day documents: the new store files its checks in table documents',
      )
      return this.#session.create({ ...init, tableDaysFrom: null })
    }
    return this.#session.create(init)
  }

  /**
   * Opens a new check on a table: creates the order document and appends it to the table's
   * document. Resolves when both are saved.
   */
  openOrder(
    tableId: string,
    options: { guests?: number } = {},
  ): Promise<{ orderId: string; url: AutomergeUrl }> {
    return this.#commands.openOrder(tableId, options)
  }

  /**
   * Runs a command against a document (an order unless `D` says otherwise) inside one change,
   * with this device's context. Resolves with the command's result once the change is saved.
   * A command that throws changes nothing and rejects with its error.
   *
   * @example
   * const lineId = await device.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'burger' }))
   */
  run<R, D = OrderDoc>(url: AutomergeUrl, command: (doc: D, ctx: CommandContext) => R): Promise<R> {
    return this.#commands.run(url, command)
  }

  /**
   * Combines two checks (moves every line, adjustment and payment of `sourceUrl` into
   * `targetUrl`), or moves some lines with `{ lineIds }`: core's `transferOrder` over both
   * documents, one change on each, resolved when both are saved. Idempotent and safe when two
   * devices do it at once. Returns the transfer id, or null when nothing was left to move.
   * A command error (a closed check, an unknown line) is core's TabsyncError, nothing changed.
   */
  transferOrder(
    sourceUrl: AutomergeUrl,
    targetUrl: AutomergeUrl,
    input: TransferInput = {},
  ): Promise<string | null> {
    return this.#commands.transferOrder(sourceUrl, targetUrl, input)
  }

  /**
   * Moves a check to another table: core's `moveOrder` on the order (its table field and a move
   * entry), then the order's reference on the new table's document (`attachOrder`, idempotent),
   * so the floor of every device shows it there. Resolves when both are saved. An unknown table
   * is a TabsyncError (`not-found`) and changes nothing.
   */
  moveOrder(url: AutomergeUrl, toTableId: string): Promise<void> {
    return this.#commands.moveOrder(url, toTableId)
  }

  /**
   * The summary of an order, waiting for the document if it is not here yet, at most
   * `findTimeoutMs` (an `openDevice` option). Rejects with an `unavailable` SyncError when no
   * peer gave it by then (a relay refusing a document looks the same as not having it), and with
   * `forbidden` when it arrived but belongs to another store.
   */
  orderSummary(url: AutomergeUrl): Promise<OrderSummary> {
    return this.#commands.orderSummary(url)
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
    return this.#commands.watchOrder(url, cb, onError)
  }

  /**
   * Every order of a business day (default: today by the hybrid clock and the store's day rule),
   * found through the table documents, sorted by opening time. Orders whose document is neither
   * here nor obtainable from a connected peer within a few attempts are left out: use
   * {@link loadDay} to know which.
   */
  ordersOfDay(date?: string): Promise<OrderEntry[]> {
    return this.#days.ordersOfDay(date)
  }

  /**
   * The orders of a business day (default: today) and the ones that could not be had. Orders this
   * device does not have yet are first fetched in bulk from the hub or relay (newest first), so a
   * new device gets a day of thousands of orders in a few requests; each then syncs as usual.
   * With `localOnly`, only what is stored here, at once whether or not a relay answers (a screen
   * shows that first); `onProgress` reports the tables, then the orders, as they open.
   */
  loadDay(date?: string, options: LoadDayOptions = {}): Promise<DayOrders> {
    return this.#days.loadDay(date, options)
  }

  /**
   * The orders opened on a table (default: those of the current business day), sorted by
   * opening time. Same availability rule as {@link ordersOfDay}.
   */
  tableOrders(tableId: string, options: TableOrdersOptions = {}): Promise<OrderEntry[]> {
    return this.#days.tableOrders(tableId, options)
  }

  /**
   * Brings every order of a business day (default: today) that this device does not have into
   * its storage, in bulk from the hub or relay, without loading them: afterwards the day is
   * available offline. {@link loadDay} does this on the way.
   */
  fetchDay(date?: string): Promise<{ present: number; fetched: number; missing: number }> {
    return this.#days.fetchDay(date)
  }

  /**
   * Takes documents this device was handed before it opened, such as a new device's starter
   * bundle that the page fetched while the app loaded: each one the device lacks is opened from
   * the bytes in hand, so the start reads none of them back from storage, and stored. Documents
   * already here are left as they are (their own sync brings what changed). Resolves with the
   * ids taken once they are open; their writes finish behind, and `close()` waits for them.
   * Bytes that do not load as Automerge are stored all the same and opened the usual way
   * (logged), as a bulk fetch does.
   */
  async importDocuments(
    docs: readonly { readonly documentId: string; readonly bytes: Uint8Array }[],
  ): Promise<DocumentId[]> {
    this.#assertOpen()
    // A device writes its store's URL once the store is loaded: storage without it holds nothing
    // these documents could hide.
    const storageUnused = (await this.#parts.storage.load(DeviceKeys.storeUrl)) === undefined
    return this.#catchUp.adopt(docs, { storageUnused })
  }

  /**
   * Follows the last business days of the store (default today and yesterday): the table
   * documents, every order they reference (opened as references appear, fetched in bulk on a new
   * device), rolling over when the business day changes by this device's clock. Documents that
   * cannot be found yet are counted in `loading()` and looked for again, never thrown.
   * `close()` the view when done (closing the device closes it too).
   *
   * @example
   * const days = device.watchDays()
   * days.onChange(() => render(days.orders().filter((o) => Object.keys(o.order.closes).length === 0)))
   */
  watchDays(options: WatchDaysOptions = {}): DayView {
    this.#assertOpen()
    return this.#watchDays(options)
  }

  #watchDays(options: WatchDaysOptions): DayWatch {
    const view = watchDays(
      {
        docs: this.#docs,
        session: this.#session,
        catchUp: this.#catchUp,
        tableDays: this.#tableDays,
        onUpstream: (cb) => this.#network.onUpstream(cb),
        now: () => this.clock.physicalMs(),
        logger: this.#parts.logger,
        closed: (v) => this.#views.delete(v),
      },
      options,
    )
    this.#views.add(view)
    return view
  }

  /**
   * The digests (core's `OrderDigest`: totals, status, report lines) of a business day's orders
   * (default: today), opening only the orders whose digest this device cannot vouch for: a loaded
   * order gives it at its current heads, a stored one from the summary cache when its stored
   * chunks are exactly those the digest was derived from, the rest are opened (fetched in bulk
   * first unless `localOnly`). `opened` and `fromCache` say which was which. `onFirst` hears
   * first of the checks the tables do not hint closed (the floor), the promise gives the whole
   * day (see {@link DayDigestsOptions}).
   */
  async dayDigests(date?: string, options: DayDigestsOptions = {}): Promise<DayDigests> {
    await this.#session.load()
    return dayDigests(
      {
        repo: this.repo,
        cache: this.#summaries,
        logger: this.#parts.logger,
        refsOfDay: async (day, localOnly) => {
          const tables = await this.#days.tables(Object.keys(this.store().tables), day, {
            localOnly,
          })
          // Read, not opened: opened after, so a report on screen hears of new checks.
          void this.#days.openTables(tables.tableUrls)
          // A report counts every check: those tills of the previous version filed in table
          // documents of a day on table-days too (`later`).
          return tables
        },
        present: (ids) => this.#catchUp.present(ids),
        fetch: (ids) => this.#catchUp.fetch(ids),
        openOrder: (url) => this.#docs.open<OrderDoc>(url, { maxAttempts: 4 }),
      },
      date ?? this.businessDate(),
      options,
    )
  }

  /** The X/Z report of a business day (default: today) from {@link dayDigests}. */
  async salesReport(date?: string): Promise<DayReport> {
    await this.#session.load()
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
    return this.#session.businessDate()
  }

  /** Calls `cb` after every change (local or remote) of a document this device has open. */
  onChange(cb: (event: ChangeEvent) => void): () => void {
    return this.#docs.onChange(cb)
  }

  /** The sync status right now. */
  status(): SyncStatus {
    return this.#network.status()
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
    return this.#network.upstreamCopy<T>(url)
  }

  /** Calls `cb` whenever the status changes. Returns an unsubscribe function. */
  onStatus(cb: (status: SyncStatus) => void): () => void {
    return this.#network.onStatus(cb)
  }

  /**
   * Reconnects every WebSocket endpoint now instead of waiting out its backoff (call it when the
   * browser fires `online`). Endpoints whose token was rejected stay stopped.
   */
  reconnect(): void {
    this.#network.reconnect()
  }

  /**
   * `setOnline(false)` closes every hub and relay link now and keeps it closed (the device works
   * on, offline); `setOnline(true)` connects again at once, without waiting out a backoff or a
   * silence deadline. For the browser's `offline`/`online` events: a browser that reports
   * offline may keep a stale socket "open" for a long time. Links whose token was rejected stay
   * stopped.
   */
  setOnline(online: boolean): void {
    if (this.#closed) return
    this.#network.setOnline(online)
  }

  /** False after `setOnline(false)` (or `openDevice({ online: false })`) until `setOnline(true)`. */
  get online(): boolean {
    return this.#network.online
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
   * Waits (a few seconds at most) for the documents being opened or fetched in bulk, then
   * disconnects from every peer, stops retries, flushes (unless `flush: false`, which tests use
   * to abandon a device whose storage "crashed": that close waits for nothing) and releases the
   * device. A device closed right after something arrived thus still stores what it was opening
   * with it (the tables and checks of a day view). Finds that wait for a document no connected
   * peer has are not waited for.
   */
  async close(options: { flush?: boolean } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (options.flush !== false) await this.#settleOpens()
    this.#abort.abort()
    this.#parts.syncGate?.releaseAll()
    for (const view of [...this.#views]) view.close()
    this.#network.close()
    this.#docs.close()
    this.#changePush.close()
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

  /** Waits, bounded, until nothing is being opened or fetched in bulk (see {@link close}). */
  async #settleOpens(): Promise<void> {
    // A document still on its way in the repo counts too: a day view closed just before the
    // device (a print bridge's source) stops looking, but what it asked for still arrives.
    const arriving = () =>
      Object.values(this.repo.handles).some(
        (h) => h.state === 'loading' || h.state === 'requesting',
      )
    const busy = () =>
      this.#docs.progressing() > 0 ||
      this.#catchUp.busy() ||
      [...this.#views].some((view) => view.looking() > 0) ||
      arriving()
    const deadline = Date.now() + Math.min(this.#parts.findTimeoutMs, CLOSE_SETTLE_MS)
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    if (busy()) {
      this.#parts.logger.info(
        { opening: this.#docs.progressing(), bulk: this.#catchUp.busy() },
        'device closed with documents still opening: those are not stored',
      )
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SyncError(SyncErrorKind.closed, 'the device is closed')
  }
}
