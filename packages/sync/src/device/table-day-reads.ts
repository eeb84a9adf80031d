import type {
  AutomergeUrl,
  DocumentId,
  Repo,
  StorageAdapterInterface,
} from '@automerge/automerge-repo/slim'
import {
  tableDayOrders,
  tableDayRefs,
  type HintedRef,
  type OrderRef,
  type TableDayDoc,
  type TableDoc,
} from '@tabsync/core'
import { CURRENT_SCHEMA, schemaOf } from '@tabsync/core/internal'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import { readDocAndSource, readStoredDoc } from '../docs/stored-doc.js'
import type { Logger } from '../log/logger.js'
import type { LegacyChecks, LegacyRead } from './legacy-checks.js'
import { openFirst } from './open-first.js'
import type { OpenDocs } from './open-docs.js'
import type { StoreSession } from './store-session.js'
import type { TableDays } from './table-days.js'

/** The day's references in opening order (see `DayLoader.tables`). */
export interface DayTables {
  /** Every reference once, in opening order (open-first.ts). */
  readonly refs: OrderRef[]
  /** How many of `refs` make the first step. */
  readonly first: number
  /** How many of `refs`, at their end, the tables hint closed (open-first.ts). */
  readonly closed: number
  /** Tables not stored here (only a `localOnly` read leaves tables out). */
  readonly missingTables: string[]
  /** The documents read (to open in the repo once the first step is usable). */
  readonly tableUrls: AutomergeUrl[]
  /**
   * References the read above could not see: on table-days, those a till of the previous
   * version filed in a table document (read from them after the first step; copied into the
   * table-days meanwhile). Empty for a day read from the table documents.
   */
  readonly later: () => Promise<OrderRef[]>
}

/** What {@link readTableDays} needs from the device. */
export interface TableDayReadParts {
  readonly repo: Repo
  readonly storage: StorageAdapterInterface
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly catchUp: CatchUp
  readonly tableDays: TableDays
  /** What each table document held when last read (legacy-checks.ts). */
  readonly legacyChecks: LegacyChecks
  readonly logger: Logger
}

/**
 * The references of a day on table-days: the tables' table-days, computed from the store alone,
 * read without being opened. A device holding none of them is new to the day: it fetches them in
 * one request (none when they came along with the store, in the floor of its first request). One holding some has had the day: a table-day it lacks was a table with no check
 * when it last heard, and comes through sync ({@link TableDays.watchFor}) rather than a request
 * on every read, which would also ask again, each time, for the tables nobody used. No table document is on this path: they are read by `later`
 * (and retired, and what they hold copied into the table-days: table-days.ts).
 */
export async function readTableDays(
  parts: TableDayReadParts,
  tableIds: readonly string[],
  day: string,
  {
    localOnly = false,
    onProgress,
  }: {
    localOnly?: boolean
    onProgress?: (p: { what: 'tables'; done: number; total: number }) => void
  } = {},
): Promise<DayTables> {
  const { repo, storage, catchUp, tableDays, logger } = parts
  const ids = await Promise.all(
    tableIds.map(async (tableId) => ({ tableId, id: await tableDays.idOf(tableId, day) })),
  )
  let done = 0
  if (!localOnly) {
    // Reported before and after the fetch, as for table documents (day-loader.ts).
    onProgress?.({ what: 'tables', done, total: ids.length })
    const all = ids.map((t) => t.id)
    if ((await catchUp.present(all)).length === 0) {
      // The store's first request brought the day's floor (store-session.ts): the table-days the
      // relay had came along, the others are tables with no check yet (watched for below).
      const along = catchUp.sentAlong(all)
      await catchUp.fetch(along.length > 0 ? along : all)
    }
  }
  onProgress?.({ what: 'tables', done, total: ids.length })
  const read: DocumentId[] = []
  const lists = await Promise.all(
    ids.map(async ({ tableId, id }): Promise<HintedRef[]> => {
      let doc: TableDayDoc | undefined
      try {
        doc = await readStoredDoc<TableDayDoc>(repo, storage, id)
      } catch (err) {
        logger.warn({ err, tableId, day }, 'table-day did not load from storage; read later')
      }
      onProgress?.({ what: 'tables', done: ++done, total: ids.length })
      if (!doc) return []
      read.push(id)
      return tableDayOrders(doc)
    }),
  )
  logger.debug({ phase: 'tables-read', tables: ids.length }, 'day: table-days read')
  // A table-day nobody has yet appears with the first check on that table: watched for.
  const readIds = new Set(read)
  if (!localOnly) tableDays.watchFor(ids.map((t) => t.id).filter((id) => !readIds.has(id)))
  const seen = new Set<string>()
  const hinted = lists.flat().filter((h) => !seen.has(h.ref.orderId) && seen.add(h.ref.orderId))
  return {
    ...openFirst(hinted),
    missingTables: [],
    tableUrls: read.map((id) => `automerge:${id}` as AutomergeUrl),
    later: () => legacyRefs(parts, tableIds, day, seen, localOnly),
  }
}

/**
 * References of `day` that tills of the previous version filed in the table documents, beyond
 * `known` (order ids). A table unchanged since its last check for the day (legacy-checks.ts) is
 * not read: its recorded references stand. Tables that need it (not retired yet, or holding
 * such references) are opened in the background and handed to `TableDays.adopt`. Never rejects.
 */
async function legacyRefs(
  parts: TableDayReadParts,
  tableIds: readonly string[],
  day: string,
  known: ReadonlySet<string>,
  localOnly: boolean,
): Promise<OrderRef[]> {
  const { repo, storage, catchUp, docs, session, tableDays, legacyChecks, logger } = parts
  const tables = tableIds.flatMap((tableId) => {
    const url = session.store().tables[tableId]?.url
    const id = url ? documentIdOf(url) : undefined
    return id && url ? [{ tableId, id, url: url as AutomergeUrl }] : []
  })
  try {
    const { valid, absent } = await legacyChecks.unchanged(
      tables.map((t) => t.id),
      day,
    )
    // Only the tables not here are asked for (a new device); the others are listed, not read.
    if (!localOnly && absent.length > 0) await catchUp.fetch(absent)
    const read: LegacyRead[] = []
    const found = await Promise.all(
      tables.map(async ({ tableId, id, url }) => {
        let refs: OrderRef[]
        let retired: boolean
        const check = valid.get(id)
        if (check) {
          legacyChecks.stats.skipped++
          refs = [...check.refs]
          retired = check.retired
        } else {
          const got = await readDocAndSource<TableDoc>(repo, storage, id)
          if (!got) return []
          legacyChecks.stats.read++
          refs = tableDayRefs(got.doc, day).map((h) => h.ref)
          retired = schemaOf(got.doc) >= CURRENT_SCHEMA.table
          read.push({ id, source: got.source, retired, refs })
        }
        const unknown = refs.filter((r) => !known.has(r.orderId))
        if (unknown.length > 0 || !retired) {
          void docs
            .open<TableDoc>(url, { maxAttempts: 4 })
            .then((handle) => tableDays.adopt(tableId, handle, day))
            .catch((err: unknown) => logger.debug({ err, url }, 'legacy table not opened'))
        }
        return unknown
      }),
    )
    await legacyChecks.record(day, read)
    return found.flat()
  } catch (err) {
    logger.warn({ err, day }, 'legacy tables not read: the next read tries again')
    return []
  }
}
