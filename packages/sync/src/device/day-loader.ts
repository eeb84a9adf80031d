import type { AutomergeUrl } from '@automerge/automerge-repo/slim'
import {
  summarizeOrder,
  tableDayRefs,
  type OrderDoc,
  type OrderRef,
  type OrderSummary,
  type TableDoc,
} from '@tabsync/core'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { openFirst } from './open-first.js'
import type { OpenDocs } from './open-docs.js'
import type { StoreSession } from './store-session.js'

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
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly catchUp: CatchUp
  readonly logger: Logger
}

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
    const { refs, first } = await this.tables(
      Object.keys(session.store().tables),
      date ?? session.businessDate(),
    )
    return this.catchUpDay(refs, first)
  }

  /**
   * Fetches what is missing of `refs` (in opening order, see open-first.ts) in two steps: the
   * first `first` (the checks hinted open, the newest unhinted), then the rest; `afterStep` runs
   * (and is awaited) as soon as a step is stored (index 0: the first).
   */
  async catchUpDay(
    refs: readonly OrderRef[],
    first: number,
    afterStep: (step: readonly OrderRef[], index: number) => Promise<void> | void = () => {},
  ): Promise<{ present: number; fetched: number; missing: number }> {
    const total = { present: 0, fetched: 0, missing: 0 }
    const steps = [refs.slice(0, first), refs.slice(first)]
    for (const [index, step] of steps.entries()) {
      const r = await this.#parts.catchUp.fetch(step.flatMap((ref) => documentIdOf(ref.url) ?? []))
      total.present += r.present.length
      total.fetched += r.fetched.length
      total.missing += r.missing.length
      await afterStep(step, index)
    }
    return total
  }

  /**
   * The order references of the tables for the day in opening order (open-first.ts), how many
   * make the first step, and (localOnly) the tables not stored here.
   */
  async tables(
    tableIds: readonly string[],
    day: string | 'all',
    { localOnly = false, onProgress }: LoadDayOptions = {},
  ): Promise<{ refs: OrderRef[]; first: number; missingTables: string[] }> {
    const { session, catchUp, docs } = this.#parts
    const ids = new Map(
      tableIds.flatMap((id) => {
        const docId = documentIdOf(session.store().tables[id]?.url ?? '')
        return docId ? [[id, docId] as const] : []
      }),
    )
    let wanted = [...ids.keys()]
    const missingTables: string[] = []
    if (localOnly) {
      // Never a request nor a find that could wait for a peer: only documents stored here.
      const here = new Set(await catchUp.present([...ids.values()]))
      for (const id of wanted) if (!here.has(ids.get(id)!)) missingTables.push(id)
      wanted = wanted.filter((id) => here.has(ids.get(id)!))
    } else {
      // Reported before the fetch: a new device shows what it waits for, not a blank screen.
      onProgress?.({ what: 'tables', done: 0, total: wanted.length })
      await catchUp.fetch([...ids.values()])
    }
    let done = 0
    onProgress?.({ what: 'tables', done, total: wanted.length })
    const lists = await Promise.all(
      wanted.map(async (id) => {
        const table = session.store().tables[id]!
        const handle = await docs.open<TableDoc>(table.url as AutomergeUrl)
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
   * rest, which open once all of it is stored. Opening an order starts its sync exchange with the relay;
   * holding those back keeps the relay free to answer the bulk requests first.
   */
  async #ordersOf(
    tableIds: readonly string[],
    day: string | 'all',
    options: LoadDayOptions = {},
  ): Promise<DayOrders> {
    const { catchUp, docs, logger } = this.#parts
    const { refs, first, missingTables } = await this.tables(tableIds, day, options)
    const { localOnly = false, onProgress } = options
    const missing: OrderRef[] = []
    let done = 0
    onProgress?.({ what: 'orders', done, total: refs.length })
    const open = async (ref: OrderRef) => {
      try {
        const h = await docs.open<OrderDoc>(ref.url as AutomergeUrl, { maxAttempts: 4 })
        return { url: h.url, summary: summarizeOrder(h.doc()) }
      } catch (err) {
        // Not here yet (offline, or not synced): listed as missing, fetched by the next load.
        logger.debug({ err, url: ref.url }, 'order of the day not available')
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
    } else {
      await this.catchUpDay(refs, first, async (step, index) => {
        const batch = step.map(open)
        opening.push(...batch)
        // The first step opens before the rest is fetched: they compete for the same CPU.
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
}
