import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { OwnershipRegistry } from '../access/ownership.js'
import type { Logger } from '../log.js'

/**
 * Loads every stored document of `storeIds` so the repo syncs it with the upstream relay (the
 * share config announces the hub's documents to upstream). automerge-repo only syncs documents it
 * holds in memory, and after a restart or an idle unload most are not: without this, what was
 * written through the hub while the upstream was unreachable would wait until a device touched it
 * again. Bounded concurrency; the idle unloader releases them again afterwards.
 */
export async function pushStoreDocuments(
  repo: Repo,
  registry: OwnershipRegistry,
  storeIds: readonly string[],
  log: Logger,
  isStopped: () => boolean,
  concurrency = 4,
): Promise<number> {
  const ids: string[] = []
  for (const storeId of storeIds) ids.push(...(await registry.documentsOfStore(storeId)))
  let next = 0
  let loaded = 0
  const worker = async (): Promise<void> => {
    while (next < ids.length && !isStopped()) {
      const id = ids[next++] as DocumentId
      if (repo.handles[id]) continue // already in memory: the synchronizer added the peer itself
      try {
        await registry.lookup(id) // cache the record: the share config reads it synchronously
        await repo.find(id, { allowableStates: ['ready', 'unavailable'] })
        loaded += 1
      } catch (err) {
        log.warn({ err, documentId: id }, 'could not load a document for upstream sync')
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  log.info({ storeIds, documents: ids.length, loaded }, 'pushed store documents upstream')
  return ids.length
}
