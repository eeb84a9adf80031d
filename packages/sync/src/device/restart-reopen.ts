import type { AutomergeUrl, DocumentId, Repo } from '@automerge/automerge-repo/slim'
import { usesTableDays } from '@tabsync/core'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import { createLimiter } from '../docs/limiter.js'
import type { Logger } from '../log/logger.js'
import type { UnsyncedTracker } from '../status/unsynced-tracker.js'
import type { DayLoader } from './day-loader.js'
import type { OpenDocs } from './open-docs.js'
import type { StoreSession } from './store-session.js'

/** What {@link reopenAfterRestart} needs from the device. */
export interface ReopenParts {
  readonly repo: Repo
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly tracker: UnsyncedTracker
  readonly catchUp: CatchUp
  readonly days: DayLoader
  readonly signal: AbortSignal
  readonly logger: Logger
}

/**
 * Checks hinted closed are re-opened this many at a time, after the floor: each one loads and
 * syncs, and a restarted till shows its floor and its report first (from the summary cache).
 */
const CLOSED_IN_FLIGHT = 2

/**
 * Re-opens what a restart would otherwise leave unannounced (automerge-repo announces only
 * documents that were `find()`-ed): every document with an unsynced marker, then the store, its
 * tables and the current business day's orders stored here: the floor's checks (hinted open,
 * or not hinted) at once, the checks hinted closed after them, a few at a time. A new device
 * (its store document was not stored when it started) has nothing else stored to announce: it
 * stores its tables in bulk (so it can open a check offline; not in a store on table-days) and
 * its day comes in bulk when it asks for it (`loadDay`, a day view), open checks first.
 */
export async function reopenAfterRestart(parts: ReopenParts): Promise<{ documents: number }> {
  const { repo, docs, session, tracker, catchUp, days, signal, logger } = parts
  const storeId = session.url ? documentIdOf(session.url) : undefined
  // Before anything fetches it: a store stored now means this device has worked before.
  const storedBefore = storeId !== undefined && (await catchUp.present([storeId])).length > 0
  const opened = new Set<string>()
  const openLocal = async (id: AutomergeUrl | DocumentId) => {
    if (signal.aborted) return
    try {
      // One find: local documents load from storage; unavailable ones have nothing to announce.
      const h = await repo.find<unknown>(id, { allowableStates: ['ready', 'unavailable'] })
      if (signal.aborted || !h.isReady() || h.heads().length === 0) return
      docs.track(h)
      opened.add(h.documentId)
    } catch {
      // not loadable: nothing to announce
    }
  }
  const pending = await tracker.load()
  const stored = new Set(await catchUp.present(pending))
  await Promise.all(
    pending.map(async (id) => {
      if (stored.has(id)) await openLocal(id)
      else
        await tracker
          .drop(id)
          .catch((err: unknown) =>
            logger.warn({ err, documentId: id }, 'unsynced marker not dropped'),
          )
    }),
  )
  if (!session.url || signal.aborted) return { documents: opened.size }
  const store = await session.load()
  if (signal.aborted) return { documents: opened.size }
  if (!storedBefore) {
    // A new device stores its tables now (one bulk request), opening nothing: without them it
    // could not open a check offline. Not in a store on table-days: checks are filed in
    // table-days (made here when absent), and this request only competed with the `loadDay`
    // of the open checks (the tables' legacy references are read after them).
    if (usesTableDays(session.store(), session.businessDate())) return { documents: opened.size }
    const tables = Object.values(session.store().tables)
    await catchUp.fetch(tables.flatMap((t) => documentIdOf(t.url) ?? []))
    return { documents: opened.size }
  }
  opened.add(store.documentId)
  const day = session.businessDate()
  const tableIds = Object.keys(session.store().tables)
  const { refs, first, tableUrls } = await days.tables(tableIds, day, { localOnly: true })
  const ids = refs.flatMap((r) => documentIdOf(r.url) ?? [])
  // Opening order (open-first.ts): the floor's checks, then older unhinted ones and closed ones.
  const floor = await catchUp.present(ids.slice(0, first))
  await Promise.all([...tableUrls.map(openLocal), ...floor.map(openLocal)])
  // Each looked up in storage as its turn comes: 2,000 lookups at once would stand in front of
  // the floor and the report the app is showing meanwhile.
  const limiter = createLimiter(CLOSED_IN_FLIGHT)
  await Promise.all(
    ids.slice(first).map((id) =>
      limiter.run(async () => {
        if ((await catchUp.present([id])).length > 0) await openLocal(id)
      }),
    ),
  )
  return { documents: opened.size }
}
