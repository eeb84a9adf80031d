import * as A from '@automerge/automerge'
import type { DocumentId, Repo, StorageAdapterInterface } from '@automerge/automerge-repo'
import type { OwnershipRegistry } from '../access/ownership.js'
import type { Logger } from '../log.js'

/**
 * Merges what PostgreSQL holds into the documents of `storeId` this node still has in memory,
 * when it takes the store (back) over: another node may have written them meanwhile. Then saves
 * them: changes this node accepted while its writes were refused (PostgreSQL down, lease lapsed)
 * are in memory only, and automerge-repo saves a document again only when its heads change.
 *
 * Why not unload them when the store is lost instead: unloading a document under traffic races
 * frames already queued for it (see idle-unloader.ts), and a handle kept in memory remembers which
 * of its changes were not stored yet (a refused write leaves automerge-repo's stored heads where
 * they were), so its next save writes them. Merging chunks is idempotent (content-addressed
 * changes), so refreshing a document that was not written elsewhere changes nothing.
 */
export async function refreshStoreDocuments(
  repo: Repo,
  storage: StorageAdapterInterface,
  registry: OwnershipRegistry,
  storeId: string,
  log: Logger,
): Promise<void> {
  let refreshed = 0
  const ofStore: DocumentId[] = []
  for (const handle of Object.values(repo.handles)) {
    const record = registry.peek(handle.documentId)
    if (!record || !handle.isReady()) continue
    const inStore =
      record.state === 'owned' ? record.storeId === storeId : record.candidates.includes(storeId)
    if (!inStore) continue
    ofStore.push(handle.documentId)
    try {
      const chunks = [
        ...(await storage.loadRange([handle.documentId, 'snapshot'])),
        ...(await storage.loadRange([handle.documentId, 'incremental'])),
      ]
      if (chunks.length === 0) continue
      handle.update((doc) => {
        let next = doc
        for (const { data } of chunks) if (data) next = A.loadIncremental(next, data)
        return next
      })
      refreshed += 1
    } catch (err) {
      log.warn({ err, documentId: handle.documentId, storeId }, 'could not refresh a document')
    }
  }
  if (refreshed > 0) log.info({ storeId, refreshed }, 'store taken over: documents refreshed')
  try {
    // Writes what a refused write left unstored (stored heads behind memory); no-op otherwise.
    await repo.flush(ofStore)
  } catch (err) {
    log.warn({ err, storeId }, 'could not save the documents of a store taken over')
  }
}
