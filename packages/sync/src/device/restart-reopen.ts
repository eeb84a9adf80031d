import type { AutomergeUrl, DocHandle, DocumentId, Repo } from '@automerge/automerge-repo/slim'
import { tableDayRefs, type TableDoc } from '@tabsync/core'
import type { CatchUp } from '../docs/catch-up.js'
import { documentIdOf } from '../docs/document-id.js'
import type { Logger } from '../log/logger.js'
import type { UnsyncedTracker } from '../status/unsynced-tracker.js'
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
}

/**
 * Re-opens what a restart would otherwise leave unannounced (automerge-repo announces only
 * documents that were `find()`-ed): every document with an unsynced marker, then the store, its
 * tables and the current business day's orders stored here.
 */
export async function reopenAfterRestart(parts: ReopenParts): Promise<{ documents: number }> {
  const { repo, docs, session, tracker, catchUp, signal, logger } = parts
  const opened = new Set<string>()
  const openLocal = async (url: AutomergeUrl | DocumentId) => {
    try {
      // One find: local documents load from storage; unavailable ones have nothing to announce.
      const h = await repo.find<unknown>(url, { allowableStates: ['ready', 'unavailable'] })
      if (signal.aborted || !h.isReady() || h.heads().length === 0) return undefined
      docs.track(h)
      opened.add(h.documentId)
      return h
    } catch {
      return undefined
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
  if (session.url) {
    const store = await session.load()
    opened.add(store.documentId)
    const day = session.businessDate()
    const tableUrls = Object.values(session.store().tables).map((t) => t.url)
    await catchUp.fetch(tableUrls.flatMap((u) => documentIdOf(u) ?? []))
    const tables = await Promise.all(
      tableUrls.map(
        (url) => openLocal(url as AutomergeUrl) as Promise<DocHandle<TableDoc> | undefined>,
      ),
    )
    const refs = tables.flatMap((h) => (h ? tableDayRefs(h.doc(), day).map((r) => r.ref) : []))
    // Orders stored here are announced again. A new device has none: it fetches the day in bulk
    // when it asks for it (loadDay), newest first, rather than all of it here.
    const storedOrders = await catchUp.present(refs.flatMap((r) => documentIdOf(r.url) ?? []))
    await Promise.all(storedOrders.map((id) => openLocal(id)))
  }
  return { documents: opened.size }
}
