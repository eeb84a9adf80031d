import type { DocumentId, Repo } from '@automerge/automerge-repo/slim'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import type { Logger } from '../log/logger.js'
import type { UnsyncedTracker } from '../status/unsynced-tracker.js'
import { untilLoaded, type DayWatch, type WatchDaysOptions } from './day-view.js'
import type { OpenDocs } from './open-docs.js'
import type { StoreSession } from './store-session.js'

/** What {@link reopenAfterRestart} needs from the device. */
export interface ReopenParts {
  readonly repo: Repo
  readonly docs: OpenDocs
  readonly session: StoreSession
  readonly tracker: UnsyncedTracker
  readonly catchUp: CatchUp
  readonly signal: AbortSignal
  readonly logger: Logger
  /** A day view of this device (see day-view.ts). */
  readonly watchDays: (options: WatchDaysOptions) => DayWatch
}

/**
 * Re-opens what a restart would otherwise leave unannounced (automerge-repo announces only
 * documents that were `find()`-ed): every document with an unsynced marker, then the store, its
 * tables and the current business day's orders stored here (a local-only day view of today,
 * closed once it has opened them; the handles stay open, hence announced).
 */
export async function reopenAfterRestart(parts: ReopenParts): Promise<{ documents: number }> {
  const { repo, docs, session, tracker, catchUp, signal, logger } = parts
  const opened = new Set<string>()
  const openLocal = async (id: DocumentId) => {
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
  if (session.url && !signal.aborted) {
    const store = await session.load()
    opened.add(store.documentId)
    // The tables of a new device come in bulk; its orders wait until it asks for the day
    // (loadDay, a day view), newest first, rather than all of it here.
    const tables = Object.values(session.store().tables)
    await catchUp.fetch(tables.flatMap((t) => documentIdOf(t.url) ?? []))
    if (signal.aborted) return { documents: opened.size }
    const today = parts.watchDays({ days: 1, localOnly: true })
    try {
      await Promise.race([untilLoaded(today), aborted(signal)])
      for (const id of today.documentIds()) opened.add(id)
    } finally {
      today.close()
    }
  }
  return { documents: opened.size }
}

/** Resolves when the device closes. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}
