import type { AutomergeUrl, Repo, StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import {
  tableDayRefs,
  type HintedRef,
  type OrderDoc,
  type OrderRef,
  type OrderSummary,
  type TableDoc,
} from '@tabsync/core'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import { readStoredDoc } from '../docs/stored-doc.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { LegacyChecks } from './legacy-checks.js'
import { openFirst } from './open-first.js'
import { readTableDays, type DayTables } from './table-day-reads.js'
import type { TableDays } from './table-days.js'
import type { OpenDocs } from './open-docs.js'
import type { StoreSession } from './store-session.js'
import type { SyncGate } from '../repo/sync-gate.js'
import type { SummaryCache } from './summary-cache.js'

/** An order with its derived summary. */
export interface OrderEntry {
  readonly url: AutomergeUrl
  readonly summary: OrderSummary
}

/** The orders of a business day, and those that could not be had (see `Device.loadDay`). */
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

/** What `Device.loadDay` is fetching or opening, for a progress display. */
export interface LoadProgress {
  /** 'tables' while the table documents are fetched and opened, then 'orders'. */
  readonly what: 'tables' | 'orders'
  /** Opened so far (or found missing) of `total`. */
  readonly done: number
  readonly total: number
}

/** Options of `Device.loadDay`. */
export interface LoadDayOptions {
  /**
   * Only what is stored on this device: no bulk fetch, no waiting for a peer. Resolves as fast
   * with a relay connected as without one (a screen shows this first, then loads again).
   */
  readonly localOnly?: boolean
  /** Called as the tables, then the orders, are opened. */
  readonly onProgress?: (progress: LoadProgress) => void
}

/** Which orders of a table `Device.tableOrders` returns. */
export interface TableOrdersOptions {
  /** A business date 'YYYY-MM-DD', or 'all'. Default: the current business date. */
  readonly businessDate?: string | 'all'
}

/** What {@link DayLoader} needs from the device. */
export interface DayLoaderParts {
  readonly repo: Repo
  readonly storage: StorageAdapterInterface
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly catchUp: CatchUp
  /** Order summaries per heads, shared with the reports (summary-cache.ts). */
  readonly summaries: SummaryCache
  /** Holds the sync of the first step's documents while they open (repo/sync-gate.ts). */
  readonly syncGate: SyncGate
  /** The table-days of a store that opted in (table-days.ts). */
  readonly tableDays: TableDays
  /** What each table document held when last read (legacy-checks.ts). */
  readonly legacyChecks: LegacyChecks
  readonly logger: Logger
}

export type { DayTables } from './table-day-reads.js'

/**
 * One-shot loads of a business day through the table documents: every order of the day (or of
 * one table), fetched in bulk first when this device lacks them (see catch-up.ts), with what
 * could not be had. `watchDays` (day-view.ts) follows the days instead.
 */
export class DayLoader {
  readonly #parts: DayLoaderParts

  constructor(parts: DayLoaderParts) {
    this.#parts = parts
  }

  /** See `Device.loadDay`. */
  async loadDay(date?: string, options: LoadDayOptions = {}): Promise<DayOrders> {
    const { session } = this.#parts
    await session.load()
    return this.#ordersOf(
      Object.keys(session.store().tables),
      date ?? session.businessDate(),
      options,
    )
  }

  /** See `Device.ordersOfDay`. */
  async ordersOfDay(date?: string): Promise<OrderEntry[]> {
    return (await this.loadDay(date)).orders
  }

  /** See `Device.tableOrders`. */
  async tableOrders(tableId: string, options: TableOrdersOptions = {}): Promise<OrderEntry[]> {
    const { session } = this.#parts
    await session.load()
    if (!session.store().tables[tableId]) {
      throw new SyncError(SyncErrorKind.wrongKind, `unknown table ${tableId}`)
    }
    const day = options.businessDate ?? session.businessDate()
    return (await this.#ordersOf([tableId], day)).orders
  }

  /** See `Device.fetchDay`. */
  async fetchDay(date?: string): Promise<{ present: number; fetched: number; missing: number }> {
    const { session } = this.#parts
    await session.load()
    const { refs, first, later } = await this.tables(
      Object.keys(session.store().tables),
      date ?? session.businessDate(),
    )
    const total = await this.catchUpDay(refs, first)
    const more = await this.catchUpDay(await later(), 0)
    return {
      present: total.present + more.present,
      fetched: total.fetched + more.fetched,
      missing: total.missing + more.missing,
    }
  }

  /**
   * Fetches what is missing of `refs` (in opening order, see open-first.ts) in two steps: the
   * first `first` (the checks hinted open, the newest unhinted), then the rest.
   */
  async catchUpDay(
    refs: readonly OrderRef[],
    first: number,
  ): Promise<{ present: number; fetched: number; missing: number }> {
    const total = { present: 0, fetched: 0, missing: 0 }
    for (const step of [refs.slice(0, first), refs.slice(first)]) {
      const r = await this.#parts.catchUp.fetch(step.flatMap((ref) => documentIdOf(ref.url) ?? []))
      total.present += r.present.length
      total.fetched += r.fetched.length
      total.missing += r.missing.length
    }
    return total
  }

  /**
   * The order references of the tables for the day in opening order (open-first.ts), how many
   * make the first step, and (localOnly) the tables not stored here. The tables are fetched in
   * one request when absent and read without being opened (docs/stored-doc.ts): opening 18
   * table documents costs about three loads each plus a sync exchange each, on the way to the
   * open checks; {@link #ordersOf} opens them once the first step is usable. A day of a store
   * on table-days is read from its table-days instead (table-day-reads.ts).
   */
  async tables(
    tableIds: readonly string[],
    day: string | 'all',
    options: LoadDayOptions = {},
  ): Promise<DayTables> {
    if (day !== 'all' && this.#parts.tableDays.uses(day)) {
      return readTableDays(this.#parts, tableIds, day, options)
    }
    const { localOnly = false, onProgress } = options
    const { session, catchUp, repo, storage, logger } = this.#parts
    const ids = new Map(
      tableIds.flatMap((id) => {
        const url = session.store().tables[id]?.url ?? ''
        const docId = documentIdOf(url)
        return docId ? [[id, { docId, url: url as AutomergeUrl }] as const] : []
      }),
    )
    const docIds = [...ids.values()].map((t) => t.docId)
    let wanted = [...ids.keys()]
    const missingTables: string[] = []
    if (localOnly) {
      // Never a request nor a find that could wait for a peer: only documents stored here.
      const here = new Set(await catchUp.present(docIds))
      for (const id of wanted) if (!here.has(ids.get(id)!.docId)) missingTables.push(id)
      wanted = wanted.filter((id) => here.has(ids.get(id)!.docId))
    } else {
      // Reported before the fetch: a new device shows what it waits for, not a blank screen.
      onProgress?.({ what: 'tables', done: 0, total: wanted.length })
      const fetched = await catchUp.fetch(docIds)
      logger.debug(
        { phase: 'tables-fetched', fetched: fetched.fetched.length },
        'day: tables fetched',
      )
    }
    let done = 0
    onProgress?.({ what: 'tables', done, total: wanted.length })
    const lists = await Promise.all(
      wanted.map(async (id): Promise<HintedRef[]> => {
        const { docId, url } = ids.get(id)!
        let table: TableDoc | undefined
        try {
          table = await readStoredDoc<TableDoc>(repo, storage, docId)
        } catch (err) {
          logger.warn({ err, url }, 'table document did not load from storage; opening it')
        }
        // Not stored (no bulk fetch answered) or unreadable: found through the peers instead.
        table ??= (await this.#parts.docs.open<TableDoc>(url)).doc()
        onProgress?.({ what: 'tables', done: ++done, total: wanted.length })
        // The day's index (and the legacy references), not every reference the table ever had.
        return tableDayRefs(table, day)
      }),
    )
    logger.debug({ phase: 'tables-read', tables: wanted.length }, 'day: tables read')
    const seen = new Set<string>()
    const hinted = lists.flat().filter((h) => !seen.has(h.ref.url) && seen.add(h.ref.url))
    return {
      ...openFirst(hinted),
      missingTables,
      tableUrls: wanted.map((id) => ids.get(id)!.url),
      later: () => Promise.resolve([]),
    }
  }

  /**
   * Opens table documents {@link tables} read (synced with the peers and watched from then on,
   * so the next read sees what other devices add). Never rejects: a table that cannot be had
   * now is read again, from storage or through the peers, by the next load.
   */
  async openTables(urls: readonly AutomergeUrl[]): Promise<void> {
    const { docs, logger } = this.#parts
    await Promise.all(
      urls.map((url) =>
        docs.open<TableDoc>(url, { maxAttempts: 4 }).catch((err: unknown) => {
          logger.debug({ err, url }, 'table not opened after the day was read')
        }),
      ),
    )
  }

  /**
   * Opens every order of the tables for the day. What is missing is fetched in bulk in two
   * steps: the checks hinted open and the newest unhinted ones, loaded from the answer and open
   * at once, then the rest, fetched once the first step is open and opened once all of it is
   * stored. Opening an order starts its sync exchange with the relay; the first step's are held
   * until all of it is open, which keeps the relay free to answer the bulk requests first.
   */
  async #ordersOf(
    tableIds: readonly string[],
    day: string | 'all',
    options: LoadDayOptions = {},
  ): Promise<DayOrders> {
    const { catchUp, docs, logger, summaries } = this.#parts
    const { refs, first, missingTables, tableUrls, later } = await this.tables(
      tableIds,
      day,
      options,
    )
    const { localOnly = false, onProgress } = options
    const missing: OrderRef[] = []
    let done = 0
    onProgress?.({ what: 'orders', done, total: refs.length })
    const open = async (ref: OrderRef) => {
      try {
        const h = await docs.open<OrderDoc>(ref.url as AutomergeUrl, { maxAttempts: 4 })
        return { url: h.url, summary: summaries.summaryOf(h) }
      } catch (err) {
        // Not here yet (offline, or not synced): listed as missing, fetched by the next load.
        logger.debug({ err, url: ref.url }, 'order of the day not available')
        missing.push(ref)
        return undefined
      } finally {
        onProgress?.({ what: 'orders', done: ++done, total: refs.length })
      }
    }
    // The tables are read, not open: opened (synced, watched) once the first step is usable.
    let tablesOpened: Promise<void> = Promise.resolve()
    const openTables = () => {
      tablesOpened = this.openTables(tableUrls)
    }
    const opening: Promise<OrderEntry | undefined>[] = []
    if (localOnly) {
      // Stored orders only; the others are missing until a load that may fetch them.
      const here = new Set<string>(
        await catchUp.present(refs.flatMap((r) => documentIdOf(r.url) ?? [])),
      )
      for (const ref of refs) {
        const id = documentIdOf(ref.url)
        if (id && here.has(id)) opening.push(open(ref))
        else {
          missing.push(ref)
          onProgress?.({ what: 'orders', done: ++done, total: refs.length })
        }
      }
      openTables()
      const more = await later()
      const stored = new Set(await catchUp.present(more.flatMap((r) => documentIdOf(r.url) ?? [])))
      for (const ref of more) {
        const id = documentIdOf(ref.url)
        if (id && stored.has(id)) opening.push(open(ref))
        else missing.push(ref)
      }
    } else {
      const ids = (step: readonly OrderRef[]) => step.flatMap((ref) => documentIdOf(ref.url) ?? [])
      const [firstRefs, restRefs] = [refs.slice(0, first), refs.slice(first)]
      // The first step's documents are loaded from the bulk answer as it arrives (catch-up.ts),
      // their sync exchanges held until all of them are open (repo/sync-gate.ts); one that did
      // not come is released at once: it can only come through that sync.
      let held = ids(firstRefs)
      const { syncGate } = this.#parts
      syncGate.hold(held)
      const release = () => {
        syncGate.release(held)
        held = []
      }
      try {
        const fetched = await catchUp.fetch(held, { load: true })
        const notHere = new Set(fetched.missing)
        syncGate.release(fetched.missing)
        held = held.filter((id) => !notHere.has(id))
        logger.debug(
          { phase: 'first-fetched', orders: firstRefs.length },
          'day: first step fetched',
        )
        const batch = firstRefs.map(open)
        opening.push(...batch)
        await Promise.all(batch)
        logger.debug({ phase: 'first-opened', orders: firstRefs.length }, 'day: first step opened')
        // The rest is asked for only now: its answers (decoded and written here, read and
        // encoded by a relay often on the same machine) would compete with the first step.
        const rest = catchUp.fetch(ids(restRefs))
        rest.catch(() => undefined) // awaited below; no unhandled rejection meanwhile
        release()
        openTables()
        // What tills of the previous version filed in table documents (a store on table-days):
        // read now, after the open checks, and opened with the rest.
        const more = later()
        await rest
        logger.debug({ phase: 'rest-fetched', orders: restRefs.length }, 'day: the rest fetched')
        opening.push(...restRefs.map(open))
        const moreRefs = await more
        if (moreRefs.length > 0) {
          await catchUp.fetch(ids(moreRefs))
          opening.push(...moreRefs.map(open))
        }
      } finally {
        release()
      }
    }
    const opened = await Promise.all(opening)
    await tablesOpened
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
}
