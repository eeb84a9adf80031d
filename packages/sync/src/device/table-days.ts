import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  stringifyAutomergeUrl,
  type AutomergeUrl,
  type BinaryDocumentId,
  type DocHandle,
  type DocumentId,
  type Repo,
} from '@automerge/automerge-repo/slim'
import {
  fileDayRef,
  tableDayRefs,
  usesTableDays,
  type OrderRef,
  type StoreData,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import {
  assertWritable,
  retireTable,
  tableDayChange,
  tableDayIdBytes,
  text,
} from '@tabsync/core/internal'
import type { CatchUp } from '../docs/catch-up.js'
import type { Logger } from '../log/logger.js'
import type { OpenDocs } from './open-docs.js'

/** What {@link TableDays} needs from the device. */
export interface TableDaysParts {
  readonly repo: Repo
  readonly docs: OpenDocs
  readonly catchUp: CatchUp
  readonly store: () => StoreData
  /** The current business date (the day a store's `tableDaysFrom` is compared with). */
  readonly today: () => string
  /** Aborted when the device closes: waits for table-days stop. */
  readonly signal: AbortSignal
  readonly logger: Logger
}

/** Ids computed so far (a SHA-256 and a store-bound mac each); a day's worth is a few dozen. */
const ID_CACHE = 2_000

/**
 * A device's table-day documents (core's table-day.ts): their computed URLs, opening one to
 * write (from storage, or created from the deterministic first change when this device has
 * none: every device that creates it makes the same change), filing references, and the legacy
 * side of a store that opted in: retiring its table documents and copying into the table-days
 * any reference a till of the previous version filed in a table document meanwhile.
 */
export class TableDays {
  readonly #parts: TableDaysParts
  readonly #ids = new Map<string, DocumentId>()
  /** Table-days waited for by {@link watchFor}. */
  readonly #awaited = new Set<DocumentId>()

  constructor(parts: TableDaysParts) {
    this.#parts = parts
  }

  /** True when the references of `date` live in table-days in this store. */
  uses(date: string): boolean {
    return usesTableDays(this.#parts.store(), date)
  }

  /** The document id of a table's table-day: computed, the same on every device. */
  async idOf(tableId: string, date: string): Promise<DocumentId> {
    const storeId = this.#parts.store().storeId
    const key = JSON.stringify([storeId, tableId, date])
    const known = this.#ids.get(key)
    if (known) return known
    const bytes = await tableDayIdBytes(storeId, tableId, date)
    const id = interpretAsDocumentId(bytes as BinaryDocumentId)
    if (this.#ids.size >= ID_CACHE) this.#ids.clear()
    this.#ids.set(key, id)
    return id
  }

  /** The URL of a table's table-day. */
  async urlOf(tableId: string, date: string): Promise<AutomergeUrl> {
    return stringifyAutomergeUrl({ documentId: await this.idOf(tableId, date) })
  }

  /**
   * A table-day ready to write, never waiting for a peer: the loaded or stored one, else one
   * made here from the deterministic first change (merged with any copy a peer sends later).
   */
  async forWrite(tableId: string, date: string): Promise<DocHandle<TableDayDoc>> {
    const { repo, docs, catchUp } = this.#parts
    const id = await this.idOf(tableId, date)
    const loaded = repo.handles[id] as DocHandle<TableDayDoc> | undefined
    if (loaded?.isReady() && loaded.heads().length > 0) {
      docs.track(loaded as DocHandle<unknown>)
      return loaded
    }
    if ((await catchUp.present([id])).length > 0) return docs.open<TableDayDoc>(id)
    const first = tableDayChange(this.#parts.store().storeId, tableId, date)
    let handle: DocHandle<TableDayDoc>
    if (loaded) {
      // Being looked for (a day view asked the peers): the first change makes it ready here.
      loaded.update((d) => A.loadIncremental(d, first))
      handle = loaded
    } else {
      handle = repo.import<TableDayDoc>(first, { docId: id })
      handle.doneLoading()
    }
    docs.track(handle as DocHandle<unknown>)
    return handle
  }

  /**
   * A table-day no device has yet, once one makes it (a peer sends it, or this device files a
   * check there): resolves with its handle, or undefined when `signal` aborts first. Reads only.
   */
  async whenAvailable(
    id: DocumentId,
    signal: AbortSignal,
  ): Promise<DocHandle<TableDayDoc> | undefined> {
    const { repo, logger } = this.#parts
    try {
      // Unavailable is not final: the handle keeps listening for the document.
      // Without the signal: a find aborted while loading leaves the handle loading for good
      // (automerge-repo 2.5.6), and every later find of the document waits on it.
      const handle = await repo.find<TableDayDoc>(id, {
        allowableStates: ['ready', 'unavailable'],
      })
      if (!handle.isReady()) await readyOrAborted(handle, signal)
      if (signal.aborted || !handle.isReady() || handle.heads().length === 0) return undefined
      if (text(handle.doc().kind) !== 'table-day') {
        logger.warn({ documentId: id }, 'not a table-day under a table-day id; left out')
        return undefined
      }
      return handle
    } catch (err) {
      if (!signal.aborted) logger.debug({ err, documentId: id }, 'table-day not watched')
      return undefined
    }
  }

  /**
   * Waits (until the device closes) for the table-days among `ids` that no device had when they
   * were read: each one's arrival is a change event of the device (a report on screen, a loader
   * that reads the day again, sees the new check's table).
   */
  watchFor(ids: readonly DocumentId[]): void {
    for (const id of ids) {
      if (this.#awaited.has(id) || this.#parts.repo.handles[id]?.isReady()) continue
      this.#awaited.add(id)
      void this.whenAvailable(id, this.#parts.signal).then((handle) => {
        this.#awaited.delete(id)
        if (handle) this.#parts.docs.arrived(handle as DocHandle<unknown>)
      })
    }
  }

  /**
   * Files references in their table's table-day (each in the day of its business date,
   * idempotent). Returns the handles changed (for "saved") and the references written.
   */
  async file(
    tableId: string,
    refs: readonly OrderRef[],
  ): Promise<{ handles: DocHandle<unknown>[]; written: OrderRef[] }> {
    const handles = new Map<string, DocHandle<unknown>>()
    const written: OrderRef[] = []
    for (const ref of refs) {
      const day = await this.forWrite(tableId, ref.businessDate)
      assertWritable(day.doc())
      let wrote = false
      day.change((d) => {
        wrote = fileDayRef(d, ref)
      })
      if (!wrote) continue
      handles.set(day.documentId, day as DocHandle<unknown>)
      written.push(ref)
    }
    return { handles: [...handles.values()], written }
  }

  /**
   * The legacy side of a table for a day on table-days, given its table document (open here;
   * a terminal's or the back office's path: a day view, which printers and kitchen displays
   * run, only reads, as their roles may not write tables):
   * retires the table once its store's `tableDaysFrom` has come (tills of the previous version
   * then refuse to write it), and copies into the table-day every reference of `date` a till
   * of the previous version filed there. Returns the references copied (the reader did not see
   * them in the table-day). Logged, never thrown: the next read tries again.
   */
  async adopt(tableId: string, table: DocHandle<TableDoc>, date: string): Promise<OrderRef[]> {
    const { logger, docs } = this.#parts
    try {
      if (this.uses(this.#parts.today())) {
        const before = table.heads()
        assertWritable(table.doc())
        table.update((t) => retireTable(t))
        if (table.heads().join() !== before.join()) await docs.saved([table as DocHandle<unknown>])
      }
      const legacy = tableDayRefs(table.doc(), date).map((h) => h.ref)
      if (legacy.length === 0) return []
      const { handles, written } = await this.file(tableId, legacy)
      if (written.length === 0) return []
      await docs.saved(handles)
      logger.info(
        { tableId, date, references: written.length },
        'references a till of the previous version filed in a table copied into its table-day',
      )
      return written
    } catch (err) {
      logger.warn({ err, tableId, date }, 'legacy table not adopted into its table-day')
      return []
    }
  }
}

/**
 * Resolves once `handle` is ready or `signal` aborts. Not `whenReady`: it gives up after the
 * repo's timeout, and a document nobody has may come hours later. The handle is ready right
 * after the update that brought content (its heads changed), in the same turn.
 */
function readyOrAborted(handle: DocHandle<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      handle.off('heads-changed', onHeads)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const onHeads = () => queueMicrotask(() => handle.isReady() && done())
    handle.on('heads-changed', onHeads)
    signal.addEventListener('abort', done, { once: true })
    if (signal.aborted || handle.isReady()) done()
  })
}
