import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo'

/**
 * Removes a ready document from the repo's memory without touching its storage.
 *
 * `repo.removeFromCache` (2.5.6) calls `handle.unload()`, which replaces the doc with an empty
 * one and emits `heads-changed` while the repo's throttled save listener is still attached: that
 * save writes an empty snapshot and deletes every stored chunk of the document. So the handle's
 * listeners go first (the handle is discarded anyway).
 */
export async function unloadDocument(repo: Repo, handle: DocHandle<unknown>): Promise<void> {
  handle.removeAllListeners()
  await repo.removeFromCache(handle.documentId as DocumentId)
}
