import type { AutomergeUrl, DocHandle, DocumentId } from '@automerge/automerge-repo/slim'
import {
  businessDate,
  recentBusinessDates,
  decode,
  readOrder,
  tableDayOrders,
  usesTableDays,
  type BusinessDayRule,
  type OrderData,
  type OrderDoc,
  type OrderRef,
  type StoreData,
  type TableData,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import { text } from '@tabsync/core/internal'
import { backoffDelay } from '@tabsync/protocol'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { NEWEST_FIRST } from './open-first.js'
import { kindOfDoc, type OpenDocs } from './open-docs.js'
import type { StoreSession } from './store-session.js'
import type { TableDays } from './table-days.js'

/** One order of the watched days, as {@link DayView} last saw it. */
export interface DayOrder {
  readonly url: AutomergeUrl
  /** The table the order is on now (its `tableId`; the referencing table when it has none). */
  readonly tableId: string
  /** Business date (YYYY-MM-DD) the table references it under. */
  readonly date: string
  /** The order document's current state (core's OrderData). */
  readonly order: OrderData
}

/** Options of `Device.watchDays`. */
export interface WatchDaysOptions {
  /** Business days watched, today included; default 2. */
  readonly days?: number
  /**
   * Only what is stored on the device, no network lookups: documents not stored here when a
   * reference to them appears are left out and not counted in `loading()`. (The store itself is
   * the device's: `device.ready()` may fetch it.)
   */
  readonly localOnly?: boolean
}

/**
 * The last business days of the store, followed live: the table documents of the watched days,
 * every order they reference (opened as references appear), rolling over when the business day
 * changes by the device's clock. What cannot be found yet is counted in `loading()`, never
 * thrown, and looked for again (with backoff, and whenever a hub or relay connects).
 */
export interface DayView {
  /** Watched business dates, newest first (empty until the store is loaded). */
  dates(): readonly string[]
  /** Loaded orders of those days, in a stable order (opening time, then URL). */
  orders(): readonly DayOrder[]
  /** One loaded order of those days. */
  order(url: AutomergeUrl): DayOrder | undefined
  /** Documents being looked for now (store, tables, orders); 0 = all referenced loaded. */
  loading(): number
  /** Coalesced (once per microtask) after any watched doc, the day set or `loading()` changed. */
  onChange(listener: () => void): () => void
  /** Stops following; no more events. */
  close(): void
}

/** What a {@link DayView} needs from the device. */
export interface DayViewParts {
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly catchUp: CatchUp
  /** The table-days of a store that opted in (read only here: see `TableDays.adopt`). */
  readonly tableDays: TableDays
  /** Calls back whenever a hub or relay connects: what was missing may be there now. */
  readonly onUpstream: (cb: () => void) => () => void
  /** The device's calibrated physical time (ms). */
  readonly now: () => number
  readonly logger: Logger
  /** Called once when the view is closed. */
  readonly closed?: (view: DayWatch) => void
}

/** The day boundary is checked at least this often (the clock may be calibrated meanwhile). */
const ROLLOVER_CHECK_MS = 60_000
/** Finds per look for a table or an order before it waits for the next round. */
const FIND_ATTEMPTS = 4
/** Rounds of looking again for missing documents. */
const RETRY_BACKOFF = { initialMs: 1000, maxMs: 30_000 }

/** A table document the view follows. */
interface TableWatch {
  readonly tableId: string
  readonly url: AutomergeUrl
  readonly id: DocumentId
  handle?: DocHandle<TableDoc>
  off?: () => void
  refs: readonly OrderRef[]
  /** Aborted when the view closes or the table leaves the store. */
  readonly stop: AbortController
}

/**
 * A table-day the view follows (a watched date of a store on table-days). One that no device
 * has (no check on that table yet) is not missing: it is watched for until it arrives.
 */
interface TableDayWatch {
  readonly tableId: string
  readonly id: DocumentId
  handle?: DocHandle<TableDayDoc>
  off?: () => void
  refs: readonly OrderRef[]
  readonly stop: AbortController
}

/** An order the view follows. */
interface OrderWatch {
  readonly url: AutomergeUrl
  readonly id: DocumentId
  ref: { readonly tableId: string; readonly date: string; readonly openedAt: string }
  handle?: DocHandle<OrderDoc>
  off?: () => void
  entry?: DayOrder
  readonly stop: AbortController
}

/**
 * Creates a {@link DayView} over a device's parts (see `Device.watchDays`).
 * @internal
 */
export function watchDays(parts: DayViewParts, options: WatchDaysOptions = {}): DayWatch {
  return new DayWatch(parts, options)
}

/** @internal The {@link DayView} implementation; `documentIds` serves the restart re-opening. */
export class DayWatch implements DayView {
  readonly #parts: DayViewParts
  readonly #days: number
  readonly #localOnly: boolean
  #dates: readonly string[] = []
  readonly #tables = new Map<DocumentId, TableWatch>()
  readonly #tableDays = new Map<DocumentId, TableDayWatch>()
  readonly #orders = new Map<AutomergeUrl, OrderWatch>()
  /** Documents looked for now (or missing and waiting for the next round), by id. */
  readonly #pending = new Set<DocumentId>()
  /** Missing after a look: looked for again in the next round. */
  readonly #missing = new Set<DocumentId>()
  /** Found but not a document of this store's kind: never listed, never looked for again. */
  readonly #refused = new Set<DocumentId>()
  #storeLoading = true
  /** Table-day ids being computed (async): counted in `loading()` until they are pending. */
  #computingTableDays = 0
  #list: readonly DayOrder[] | undefined
  readonly #listeners = new Set<() => void>()
  #queued = false
  #closed = false
  readonly #offs: (() => void)[] = []
  #rolloverTimer: ReturnType<typeof setTimeout> | undefined
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #storeTimer: ReturnType<typeof setTimeout> | undefined
  #retryRound = 0

  constructor(parts: DayViewParts, options: WatchDaysOptions) {
    const days = options.days ?? 2
    if (!Number.isInteger(days) || days < 1 || days > 366) {
      parts.logger.warn({ days }, 'watchDays refused: days must be a whole number from 1 to 366')
      throw new SyncError(SyncErrorKind.invalidOptions, `days must be 1-366, not ${days}`)
    }
    this.#parts = parts
    this.#days = days
    this.#localOnly = options.localOnly ?? false
    this.#offs.push(parts.session.onStore((store) => this.#storeChanged(store)))
    if (!this.#localOnly) this.#offs.push(parts.onUpstream(() => this.#retrySoon()))
    const loaded = parts.session.loaded()
    if (loaded) this.#storeChanged(loaded)
    else this.#loadStore(0)
  }

  dates(): readonly string[] {
    return this.#dates
  }

  orders(): readonly DayOrder[] {
    this.#list ??= [...this.#orders.values()]
      .flatMap((w) => (w.entry ? [{ w, e: w.entry }] : []))
      .sort(
        (a, b) =>
          (a.w.ref.openedAt < b.w.ref.openedAt
            ? -1
            : a.w.ref.openedAt > b.w.ref.openedAt
              ? 1
              : 0) || (a.w.url < b.w.url ? -1 : 1),
      )
      .map(({ e }) => e)
    return this.#list
  }

  order(url: AutomergeUrl): DayOrder | undefined {
    return this.#orders.get(url)?.entry
  }

  loading(): number {
    return (this.#storeLoading ? 1 : 0) + this.#computingTableDays + this.#pending.size
  }

  onChange(listener: () => void): () => void {
    if (this.#closed) return () => undefined
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#rolloverTimer)
    clearTimeout(this.#retryTimer)
    clearTimeout(this.#storeTimer)
    for (const off of this.#offs) off()
    // Each find has its own signal (one abort listener each, however many are in flight).
    for (const w of [
      ...this.#tables.values(),
      ...this.#tableDays.values(),
      ...this.#orders.values(),
    ]) {
      w.stop.abort()
      w.off?.()
    }
    this.#listeners.clear()
    this.#parts.closed?.(this)
  }

  /**
   * @internal Documents being looked for right now (not those missing and waiting for the next
   * round): a closing device waits for these (bounded) so that what they bring is stored.
   */
  looking(): number {
    let n = 0
    for (const id of this.#pending) if (!this.#missing.has(id)) n++
    return n
  }

  /** @internal Every table and order document this view has loaded. */
  documentIds(): DocumentId[] {
    return [
      ...[...this.#tables.values()].flatMap((t) => (t.handle ? [t.id] : [])),
      ...[...this.#tableDays.values()].flatMap((t) => (t.handle ? [t.id] : [])),
      ...[...this.#orders.values()].flatMap((o) => (o.handle ? [o.id] : [])),
    ]
  }

  // --- the store and the day set ---------------------------------------------------------------

  /** Loads the device's store, trying again with backoff while it cannot be had. */
  #loadStore(attempt: number): void {
    this.#parts.session.load().then(
      () => undefined, // onStore brings it
      (err: unknown) => {
        if (this.#closed) return
        this.#parts.logger.info({ err }, 'day view: the store is not here yet; trying again')
        const delay = backoffDelay(attempt, RETRY_BACKOFF)
        this.#storeTimer = unrefTimer(setTimeout(() => this.#loadStore(attempt + 1), delay))
      },
    )
  }

  #storeChanged(store: StoreData): void {
    if (this.#closed) return
    if (this.#storeLoading) {
      this.#storeLoading = false
      clearTimeout(this.#storeTimer)
    }
    const listed = new Set<DocumentId>()
    const added: TableWatch[] = []
    for (const table of Object.values(store.tables)) {
      const id = documentIdOf(table.url)
      if (!id) continue
      listed.add(id)
      if (this.#tables.has(id)) continue
      const watch: TableWatch = {
        tableId: table.id,
        url: table.url as AutomergeUrl,
        id,
        refs: [],
        stop: new AbortController(),
      }
      this.#tables.set(id, watch)
      added.push(watch)
    }
    for (const [id, watch] of this.#tables) {
      if (listed.has(id)) continue
      watch.stop.abort()
      watch.off?.()
      this.#tables.delete(id)
      this.#settled(id)
    }
    this.#checkDates(store)
    this.#reconcile()
    if (added.length > 0) void this.#loadTables(added)
    void this.#followTableDays()
    this.#changed()
  }

  /** Recomputes the watched dates; true when they changed (the day rolled over). */
  #checkDates(store: BusinessDayRule | undefined = this.#parts.session.loaded()): boolean {
    if (!store) return false
    const now = this.#parts.now()
    const dates = recentBusinessDates(now, store, this.#days)
    clearTimeout(this.#rolloverTimer)
    this.#rolloverTimer = unrefTimer(
      setTimeout(
        () => this.#onRolloverTimer(),
        Math.min(msUntilNextDay(now, store), ROLLOVER_CHECK_MS),
      ),
    )
    if (dates.join() === this.#dates.join()) return false
    this.#dates = dates
    return true
  }

  #onRolloverTimer(): void {
    if (this.#closed) return
    if (this.#checkDates()) {
      this.#reconcile()
      void this.#followTableDays()
      this.#changed()
    }
  }

  // --- tables ----------------------------------------------------------------------------------

  /** Opens new tables: the ones stored here at once, the others (unless local only) in bulk. */
  async #loadTables(tables: readonly TableWatch[]): Promise<void> {
    const { catchUp } = this.#parts
    for (const t of tables) this.#pending.add(t.id)
    const here = new Set(await catchUp.present(tables.map((t) => t.id)))
    if (this.#closed) return
    const opening = tables.filter((t) => here.has(t.id)).map((t) => this.#openTable(t))
    const absent = tables.filter((t) => !here.has(t.id))
    if (this.#localOnly) {
      for (const t of absent) this.#settled(t.id)
    } else if (absent.length > 0) {
      // A new device gets its tables in a request or two instead of one sync exchange each.
      await catchUp.fetch(absent.map((t) => t.id))
      if (this.#closed) return
      opening.push(...absent.map((t) => this.#openTable(t)))
    }
    await Promise.all(opening)
  }

  async #openTable(watch: TableWatch): Promise<void> {
    const handle = await this.#open<TableDoc>(
      watch.url,
      watch.id,
      'table',
      watch.stop.signal,
      this.#localOnly ? 1 : FIND_ATTEMPTS,
    )
    if (!handle || this.#closed || this.#tables.get(watch.id) !== watch) return
    watch.handle = handle
    const onChange = () => this.#tableChanged(watch)
    handle.on('change', onChange)
    watch.off = () => handle.off('change', onChange)
    this.#settled(watch.id)
    this.#tableChanged(watch)
  }

  #tableChanged(watch: TableWatch): void {
    if (this.#closed || !watch.handle?.isReady()) return
    watch.refs = Object.values(decode<TableData>(watch.handle.doc()).orders)
    if (this.#checkDates()) void this.#followTableDays()
    this.#reconcile()
    this.#changed()
  }

  // --- table-days ------------------------------------------------------------------------------

  /**
   * Follows the table-days of the watched dates of a store on table-days (the table documents
   * stay followed too: what a till of the previous version files there is listed as well).
   */
  async #followTableDays(): Promise<void> {
    const store = this.#parts.session.loaded()
    if (!store || this.#closed) return
    const wanted = new Map<DocumentId, string>()
    this.#computingTableDays++
    try {
      for (const date of this.#dates) {
        if (!usesTableDays(store, date)) continue
        for (const table of Object.values(store.tables)) {
          wanted.set(await this.#parts.tableDays.idOf(table.id, date), table.id)
        }
      }
    } finally {
      this.#computingTableDays--
    }
    if (this.#closed) return
    for (const [id, watch] of this.#tableDays) {
      if (wanted.has(id)) continue
      watch.stop.abort()
      watch.off?.()
      this.#tableDays.delete(id)
      this.#settled(id)
    }
    const added: TableDayWatch[] = []
    for (const [id, tableId] of wanted) {
      if (this.#tableDays.has(id)) continue
      const watch: TableDayWatch = { tableId, id, refs: [], stop: new AbortController() }
      this.#tableDays.set(id, watch)
      this.#pending.add(id)
      added.push(watch)
    }
    if (added.length === 0) return this.#changed()
    this.#reconcile()
    // Stored ones at once; the others in one bulk request when none is here (a device new to
    // the day; see table-day-reads.ts), else through sync as they appear (unless local only).
    const { catchUp } = this.#parts
    let here = new Set(await catchUp.present(added.map((w) => w.id)))
    if (!this.#localOnly && here.size === 0) {
      await catchUp.fetch(added.filter((w) => !here.has(w.id)).map((w) => w.id))
      here = new Set(await catchUp.present(added.map((w) => w.id)))
    }
    if (this.#closed) return
    await Promise.all(added.map((w) => this.#openTableDay(w, here.has(w.id))))
  }

  async #openTableDay(watch: TableDayWatch, stored: boolean): Promise<void> {
    const url = `automerge:${watch.id}` as AutomergeUrl
    if (!stored) {
      // Nobody has it (no check on that table that day yet): not missing, watched for.
      this.#settled(watch.id)
      if (this.#localOnly) return
      const handle = await this.#parts.tableDays.whenAvailable(watch.id, watch.stop.signal)
      if (handle) this.#attachTableDay(watch, handle)
      return
    }
    const handle = await this.#open<TableDayDoc>(url, watch.id, 'table-day', watch.stop.signal, 1)
    if (handle) this.#attachTableDay(watch, handle)
  }

  #attachTableDay(watch: TableDayWatch, handle: DocHandle<TableDayDoc>): void {
    if (this.#closed || this.#tableDays.get(watch.id) !== watch || watch.handle) return
    this.#parts.docs.track(handle as DocHandle<unknown>)
    watch.handle = handle
    const onChange = () => {
      if (this.#closed || !handle.isReady()) return
      watch.refs = tableDayOrders(handle.doc()).map((h) => h.ref)
      this.#reconcile()
      this.#changed()
    }
    handle.on('change', onChange)
    watch.off = () => handle.off('change', onChange)
    this.#settled(watch.id)
    onChange()
  }

  // --- orders ----------------------------------------------------------------------------------

  /** Follows exactly the orders the tables reference for the watched dates. */
  #reconcile(): void {
    const dates = new Set(this.#dates)
    const wanted = new Map<AutomergeUrl, OrderWatch['ref'] & { id: DocumentId }>()
    for (const table of [...this.#tableDays.values(), ...this.#tables.values()]) {
      for (const ref of table.refs) {
        if (!dates.has(ref.businessDate) || wanted.has(ref.url as AutomergeUrl)) continue
        const id = documentIdOf(ref.url)
        if (!id || this.#refused.has(id)) continue
        wanted.set(ref.url as AutomergeUrl, {
          id,
          tableId: table.tableId,
          date: ref.businessDate,
          openedAt: ref.openedAt,
        })
      }
    }
    for (const [url, watch] of this.#orders) {
      if (wanted.has(url)) continue
      // Rolled out of the watched days (or the reference is gone): no longer followed.
      watch.stop.abort()
      watch.off?.()
      this.#orders.delete(url)
      this.#settled(watch.id)
      this.#list = undefined
    }
    const added: OrderWatch[] = []
    for (const [url, { id, ...ref }] of wanted) {
      const known = this.#orders.get(url)
      if (known) {
        const moved = known.ref.tableId !== ref.tableId || known.ref.date !== ref.date
        known.ref = ref
        if (moved) this.#orderChanged(known)
        continue
      }
      const watch: OrderWatch = { url, id, ref, stop: new AbortController() }
      this.#orders.set(url, watch)
      this.#pending.add(id)
      added.push(watch)
    }
    if (added.length > 0) void this.#loadOrders(added)
  }

  /**
   * Opens new orders: the ones stored here at once, then (unless local only) the others after a
   * bulk fetch, newest first in two steps as `loadDay` does, so a day of thousands of orders
   * costs a few requests and the open checks show first.
   */
  async #loadOrders(watches: readonly OrderWatch[]): Promise<void> {
    const { catchUp } = this.#parts
    const here = new Set(await catchUp.present(watches.map((w) => w.id)))
    if (this.#closed) return
    const stored = watches.filter((w) => here.has(w.id))
    const absent = watches
      .filter((w) => !here.has(w.id))
      .sort((a, b) => (a.ref.openedAt < b.ref.openedAt ? 1 : -1))
    const opening = stored.map((w) => this.#openOrder(w, this.#localOnly ? 1 : FIND_ATTEMPTS))
    if (this.#localOnly) {
      for (const w of absent) this.#settled(w.id)
    } else {
      for (const step of [absent.slice(0, NEWEST_FIRST), absent.slice(NEWEST_FIRST)]) {
        if (step.length === 0) continue
        await catchUp.fetch(step.map((w) => w.id))
        if (this.#closed) return
        opening.push(...step.map((w) => this.#openOrder(w, FIND_ATTEMPTS)))
      }
    }
    await Promise.all(opening)
  }

  async #openOrder(watch: OrderWatch, attempts: number): Promise<void> {
    if (this.#orders.get(watch.url) !== watch) return
    const handle = await this.#open<OrderDoc>(
      watch.url,
      watch.id,
      'order',
      watch.stop.signal,
      attempts,
    )
    if (!handle || this.#closed || this.#orders.get(watch.url) !== watch) return
    watch.handle = handle
    const onChange = () => this.#orderChanged(watch)
    handle.on('change', onChange)
    watch.off = () => handle.off('change', onChange)
    this.#settled(watch.id)
    this.#orderChanged(watch)
  }

  #orderChanged(watch: OrderWatch): void {
    if (this.#closed || !watch.handle?.isReady()) return
    watch.entry = new LoadedOrder(watch.url, watch.ref, watch.handle.doc())
    this.#list = undefined
    this.#changed()
  }

  // --- finding, missing documents ------------------------------------------------------------

  /**
   * Opens a document of the watched days; undefined when it is missing for now (looked for
   * again next round) or is not a `kind` document of this store (logged, left out).
   */
  async #open<D>(
    url: AutomergeUrl,
    id: DocumentId,
    kind: 'table' | 'table-day' | 'order',
    signal: AbortSignal,
    maxAttempts = FIND_ATTEMPTS,
  ): Promise<DocHandle<D> | undefined> {
    const { docs, logger, session } = this.#parts
    let handle: DocHandle<D>
    try {
      handle = await docs.open<D>(url, { maxAttempts, signal })
    } catch (err) {
      if (this.#closed || signal.aborted) return undefined
      if (this.#localOnly) {
        this.#settled(id)
        return undefined
      }
      logger.debug({ err, url }, `day view: ${kind} not available yet`)
      this.#missing.add(id)
      this.#retryLater()
      return undefined
    }
    const storeId = text((handle.doc() as { storeId?: string }).storeId)
    const ours = session.loaded()?.storeId
    if (kindOfDoc(handle as DocHandle<unknown>) !== kind || (ours && storeId !== ours)) {
      logger.warn({ url, kind, storeId }, `day view: not a ${kind} of this store; left out`)
      this.#refused.add(id)
      this.#settled(id)
      return undefined
    }
    this.#missing.delete(id)
    return handle
  }

  /** A document is no longer looked for (found, refused, or no longer wanted). */
  #settled(id: DocumentId): void {
    this.#missing.delete(id)
    if (this.#pending.delete(id)) this.#changed()
  }

  /** The next round of looking for missing documents, with backoff. */
  #retryLater(): void {
    if (this.#retryTimer !== undefined || this.#closed) return
    const delay = backoffDelay(this.#retryRound++, RETRY_BACKOFF)
    this.#retryTimer = unrefTimer(setTimeout(() => this.#retryMissing(), delay))
  }

  /** A hub or relay connected: look again shortly (once the repo has registered the peer). */
  #retrySoon(): void {
    if (this.#missing.size === 0 || this.#closed) return
    clearTimeout(this.#retryTimer)
    this.#retryRound = 0
    this.#retryTimer = unrefTimer(setTimeout(() => this.#retryMissing(), 100))
  }

  #retryMissing(): void {
    this.#retryTimer = undefined
    if (this.#closed || this.#missing.size === 0) return
    const ids = [...this.#missing]
    const wanted = new Set(ids)
    this.#missing.clear()
    const tables = [...this.#tables.values()].filter((t) => wanted.has(t.id) && !t.handle)
    const tableDays = [...this.#tableDays.values()].filter((t) => wanted.has(t.id) && !t.handle)
    const orders = [...this.#orders.values()].filter((o) => wanted.has(o.id) && !o.handle)
    void (async () => {
      await this.#parts.catchUp.fetch(ids)
      if (this.#closed) return
      await Promise.all([
        ...tables.map((t) => this.#openTable(t)),
        ...tableDays.map((t) => this.#openTableDay(t, true)),
        ...orders.map((o) => this.#openOrder(o, FIND_ATTEMPTS)),
      ])
      if (this.#missing.size === 0) this.#retryRound = 0
    })()
  }

  #changed(): void {
    if (this.#queued || this.#closed) return
    this.#queued = true
    queueMicrotask(() => {
      this.#queued = false
      if (!this.#closed) for (const l of [...this.#listeners]) l()
    })
  }
}

/** A {@link DayOrder} whose `order` is read from the document only when asked for. */
class LoadedOrder implements DayOrder {
  readonly url: AutomergeUrl
  readonly tableId: string
  readonly date: string
  readonly #doc: OrderDoc
  #order: OrderData | undefined

  constructor(url: AutomergeUrl, ref: { tableId: string; date: string }, doc: OrderDoc) {
    this.url = url
    this.#doc = doc
    this.tableId = text(doc.tableId) || ref.tableId
    this.date = ref.date
  }

  get order(): OrderData {
    return (this.#order ??= readOrder(this.#doc))
  }
}

/**
 * Resolves once `view.loading()` is 0: everything the watched days reference is loaded (or,
 * local only, everything stored here). Never resolves while a document stays missing.
 */
export function untilLoaded(view: DayView): Promise<void> {
  return new Promise((resolve) => {
    if (view.loading() === 0) return resolve()
    const off = view.onChange(() => {
      if (view.loading() !== 0) return
      off()
      resolve()
    })
  })
}

/** Ms until the business date of `now` changes (within a second), at most 26 h. */
export function msUntilNextDay(now: number, rule: BusinessDayRule): number {
  const today = businessDate(now, rule)
  let lo = 0
  let hi = 26 * 3_600_000
  if (businessDate(now + hi, rule) === today) return hi
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2)
    if (businessDate(now + mid, rule) === today) lo = mid
    else hi = mid
  }
  return hi
}

/** Timers of a view never keep a Node process alive. */
function unrefTimer(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}
