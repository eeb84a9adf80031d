import type { Repo } from '@automerge/automerge-repo'
import type { OwnershipRegistry } from '../access/ownership.js'
import type { Logger } from '../log.js'
import { unloadDocument } from '../repo/unload-document.js'

/**
 * Unloads every loaded document of a store this node no longer serves. Another node may now write
 * it, so what this node holds in memory goes stale; if the store comes back here, its documents
 * are read again from PostgreSQL. Nothing is lost: what was not stored yet is still on the
 * devices, which send it to whichever node serves the store next.
 */
export function dropStoreDocuments(
  repo: Repo,
  registry: OwnershipRegistry,
  storeId: string,
  log: Logger,
): void {
  let dropped = 0
  for (const handle of Object.values(repo.handles)) {
    const record = registry.peek(handle.documentId)
    if (!record || !handle.isReady()) continue
    const ofStore =
      record.state === 'owned' ? record.storeId === storeId : record.candidates.includes(storeId)
    if (!ofStore) continue
    dropped += 1
    unloadDocument(repo, handle).catch((err: unknown) =>
      log.warn(
        { err, documentId: handle.documentId, storeId },
        'could not unload a lost store document',
      ),
    )
  }
  log.info({ storeId, dropped }, 'store no longer served here: documents unloaded')
}
