import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo/slim'
import { assertWritable, kindOf, migrate, pendingMigrations, text } from '@tabsync/core/internal'
import {
  attachOrder,
  moveOrder,
  openOrder,
  readOrder,
  transferOrder,
  withTableIndex,
  ErrorKind,
  TabsyncError,
  type CommandContext,
  type OrderDoc,
  type OrderSummary,
  type TableDoc,
  type TransferInput,
} from '@tabsync/core'
import { createStoreBoundDoc } from '../docs/create-bound.js'
import { SyncError, SyncErrorKind, isSyncError } from '../errors.js'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import type { Logger } from '../log/logger.js'
import type { OpenDocs } from './open-docs.js'
import type { SummaryCache } from './summary-cache.js'
import { updateHints } from './table-hints.js'
import type { TableDays } from './table-days.js'
import type { StoreSession } from './store-session.js'

/** What {@link OrderCommands} needs from the device. */
export interface OrderCommandsParts {
  readonly deviceId: string
  readonly repo: Repo
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly findTimeoutMs: number
  /** Whether a table document is stored here (a hint is only written to a table on the device). */
  readonly catchUp: CatchUp
  /** Order summaries per heads (summary-cache.ts): a change is summarized once. */
  readonly summaries: SummaryCache
  /** The table-day documents, where a store that opted in files its references. */
  readonly tableDays: TableDays
  readonly logger: Logger
  /** Throws `closed` once the device is closed. */
  readonly assertOpen: () => void
  /**
   * Makes a command's change on a handle, as `handle.change` (default), or pushing it to the
   * relay before the handle's bookkeeping (change-push.ts).
   */
  readonly commit?: <T>(handle: DocHandle<T>, callback: (doc: T) => void) => void
}

/**
 * Core commands against documents, each in one change and resolved when saved: opening a check
 * on a table, running any command, moving lines between checks; and reading or watching one
 * order (of this store, within the find deadline).
 */
export class OrderCommands {
  readonly #parts: OrderCommandsParts

  constructor(parts: OrderCommandsParts) {
    this.#parts = parts
  }

  /** See `Device.openOrder`. */
  async openOrder(
    tableId: string,
    options: { guests?: number } = {},
  ): Promise<{ orderId: string; url: AutomergeUrl }> {
    const { docs, session, repo, deviceId } = this.#parts
    this.#parts.assertOpen()
    await session.load()
    const ctx = session.context()
    const opened = openOrder(ctx, {
      tableId,
      ...(options.guests !== undefined ? { guests: options.guests } : {}),
    })
    const table = session.store().tables[tableId]
    if (!table) throw new SyncError(SyncErrorKind.wrongKind, `unknown table ${tableId}`)
    const ref = (url: AutomergeUrl) => ({
      orderId: opened.orderId,
      url,
      businessDate: opened.businessDate,
      openedAt: opened.openedAt,
      openedBy: deviceId,
    })
    if (this.#parts.tableDays.uses(opened.businessDate)) {
      // The table-day first: a table-day this device cannot write refuses before an order exists.
      const day = await this.#parts.tableDays.forWrite(tableId, opened.businessDate)
      prepareWrite(day as DocHandle<unknown>)
      const handle = await createStoreBoundDoc<OrderDoc>(repo, ctx.store.storeId, opened.doc)
      docs.track(handle as DocHandle<unknown>)
      const filed = await this.#parts.tableDays.file(tableId, [ref(handle.url)])
      await docs.saved([handle as DocHandle<unknown>, ...filed.handles])
      return { orderId: opened.orderId, url: handle.url }
    }
    const tableHandle = await docs.open<TableDoc>(table.url as AutomergeUrl, {
      timeoutMs: this.#parts.findTimeoutMs,
    })
    prepareWrite(tableHandle)
    const handle = await createStoreBoundDoc<OrderDoc>(repo, ctx.store.storeId, opened.doc)
    docs.track(handle as DocHandle<unknown>)
    // The day's container exists before the change files the reference into it (table-index.ts).
    tableHandle.update((t) => withTableIndex(t, [opened.businessDate]))
    tableHandle.change((t) => attachOrder(t, ref(handle.url)))
    await docs.saved([handle as DocHandle<unknown>, tableHandle as DocHandle<unknown>])
    return { orderId: opened.orderId, url: handle.url }
  }

  /** See `Device.run`. */
  async run<R, D = OrderDoc>(
    url: AutomergeUrl,
    command: (doc: D, ctx: CommandContext) => R,
  ): Promise<R> {
    const { docs, session } = this.#parts
    this.#parts.assertOpen()
    await session.load()
    const handle = await docs.open<D>(url)
    const ctx = session.context()
    const before = handle.heads()
    prepareWrite(handle)
    let result: R | undefined
    const commit = this.#parts.commit ?? ((h, cb) => h.change(cb))
    commit(handle, (d) => {
      result = command(d as D, ctx)
    })
    const after = handle.heads()
    const changed = before.length !== after.length || before.some((h, i) => h !== after[i])
    if (changed) {
      await docs.saved([handle as DocHandle<unknown>])
      await this.#updateHints([handle as DocHandle<unknown>])
    }
    return result as R
  }

  /** See `Device.transferOrder`. */
  async transferOrder(
    sourceUrl: AutomergeUrl,
    targetUrl: AutomergeUrl,
    input: TransferInput = {},
  ): Promise<string | null> {
    const { docs, session } = this.#parts
    this.#parts.assertOpen()
    await session.load()
    const [source, target] = await Promise.all([
      this.openOrderDoc(sourceUrl),
      this.openOrderDoc(targetUrl),
    ])
    const ctx = session.context()
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
      await docs.saved([source as DocHandle<unknown>, target as DocHandle<unknown>])
      await this.#updateHints([source, target] as DocHandle<unknown>[])
    }
    return id
  }

  /** See `Device.moveOrder`. */
  async moveOrder(url: AutomergeUrl, toTableId: string): Promise<void> {
    const { docs, session } = this.#parts
    this.#parts.assertOpen()
    await session.load()
    const order = await this.openOrderDoc(url)
    const table = session.store().tables[toTableId]
    if (!table) throw new TabsyncError(ErrorKind.notFound, `unknown table ${toTableId}`)
    const ctx = session.context()
    const date = readOrder(order.doc()).businessDate
    const onDays = this.#parts.tableDays.uses(date)
    const tableHandle = onDays
      ? await this.#parts.tableDays.forWrite(toTableId, date)
      : await docs.open<TableDoc>(table.url as AutomergeUrl)
    prepareWrite(order as DocHandle<unknown>)
    prepareWrite(tableHandle as DocHandle<unknown>)
    order.change((d) => void moveOrder(d, ctx, { toTableId }))
    const moved = readOrder(order.doc())
    const ref = {
      orderId: moved.orderId,
      url,
      businessDate: moved.businessDate,
      openedAt: moved.openedAt,
      openedBy: moved.openedBy,
    }
    let filed: DocHandle<unknown>[] = [tableHandle as DocHandle<unknown>]
    if (onDays) {
      filed = (await this.#parts.tableDays.file(toTableId, [ref])).handles
    } else {
      const legacy = tableHandle as DocHandle<TableDoc>
      legacy.update((t) => withTableIndex(t, [moved.businessDate]))
      legacy.change((t) => attachOrder(t, ref))
    }
    await docs.saved([order as DocHandle<unknown>, ...filed])
  }

  /** The tables' open/closed hints of the orders among `handles` (table-hints.ts). */
  async #updateHints(handles: DocHandle<unknown>[]): Promise<void> {
    const { docs, session, catchUp, summaries, logger, tableDays } = this.#parts
    const orders = handles.filter(
      (h) => text((h.doc() as { kind?: string }).kind) === 'order',
    ) as DocHandle<OrderDoc>[]
    if (orders.length === 0 || !session.loaded()) return
    await updateHints(
      {
        store: () => session.store(),
        summaryOf: (h) => summaries.summaryOf(h),
        // Only a table here: "saved" must never wait for a peer because of a hint.
        openTable: async (url) => {
          const id = documentIdOf(url)
          const here = id && (await catchUp.present([id])).length > 0
          return here ? docs.open<TableDoc>(url) : undefined
        },
        usesTableDays: (date) => tableDays.uses(date),
        // Likewise only a table-day here (stored or loaded): one elsewhere has no reference yet.
        openTableDay: async (tableId, date) => {
          const id = await tableDays.idOf(tableId, date)
          const here = (await catchUp.present([id])).length > 0
          return here ? tableDays.forWrite(tableId, date) : undefined
        },
        prepareWrite,
        saved: (hs) => docs.saved(hs),
        logger,
      },
      orders,
    )
  }

  /** See `Device.orderSummary`. */
  async orderSummary(url: AutomergeUrl): Promise<OrderSummary> {
    return this.#parts.summaries.summaryOf(await this.openOrderDoc(url))
  }

  /** An order document of this device's store, within the find deadline. */
  async openOrderDoc(url: AutomergeUrl): Promise<DocHandle<OrderDoc>> {
    const { docs, session, findTimeoutMs } = this.#parts
    const handle = await docs.open<OrderDoc>(url, { timeoutMs: findTimeoutMs })
    const doc = handle.doc() as unknown as { storeId?: unknown; kind?: unknown }
    const storeId = text(doc.storeId as Parameters<typeof text>[0])
    const store = session.loaded()
    if (store && storeId !== store.storeId) {
      throw new SyncError(
        SyncErrorKind.forbidden,
        `document ${url} belongs to another store, not ${store.storeId}`,
        { url },
      )
    }
    if (text(doc.kind as Parameters<typeof text>[0]) !== 'order') {
      throw new SyncError(SyncErrorKind.wrongKind, `document ${url} is not an order`, { url })
    }
    return handle
  }

  /** See `Device.watchOrder`. */
  watchOrder(
    url: AutomergeUrl,
    cb: (summary: OrderSummary) => void,
    onError?: (error: SyncError) => void,
  ): () => void {
    let stopped = false
    let handle: DocHandle<OrderDoc> | undefined
    const listener = () => {
      if (!stopped && handle?.isReady()) cb(this.#parts.summaries.summaryOf(handle))
    }
    // Like orderSummary: a refused or absent document ends in `onError` (unavailable or
    // forbidden) within findTimeoutMs instead of never calling back.
    this.openOrderDoc(url).then(
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
}

/**
 * The compatibility policy before any write (core's `runCommand` on a handle): a document of a
 * newer schema is refused with `newer-schema` (nothing written, it keeps syncing untouched), an
 * older one is raised by core's deterministic migrations, identical on every device. Except a
 * table: its only step retires it (tills of the previous version then refuse it), which only a
 * store that opted in to table-days does (table-days.ts).
 */
function prepareWrite(handle: DocHandle<unknown>): void {
  const doc = handle.doc()
  assertWritable(doc)
  if (kindOf(doc) === 'table') return
  if (pendingMigrations(doc).length > 0) handle.update((d) => migrate(d))
}
