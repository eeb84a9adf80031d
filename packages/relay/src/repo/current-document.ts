import * as A from '@automerge/automerge'
import type { DocumentId, Repo, StorageAdapterInterface } from '@automerge/automerge-repo'

/**
 * The relay's current copy of a document: the repo's when it has it loaded and ready (it may hold
 * changes not yet written), else the stored chunks loaded without the repo (an idle-unloaded or
 * still-loading document), else undefined (the relay has never held it). Unreadable storage
 * counts as never held: the caller then judges the changes on their own.
 */
export async function currentDocument(
  repo: Repo,
  storage: StorageAdapterInterface,
  documentId: string,
): Promise<A.Doc<unknown> | undefined> {
  const handle = repo.handles[documentId as DocumentId]
  if (handle?.isReady()) return handle.doc() as A.Doc<unknown>
  const chunks = (await storage.loadRange([documentId])).filter(
    (c) => (c.key[1] === 'snapshot' || c.key[1] === 'incremental') && c.data !== undefined,
  )
  if (chunks.length === 0) return undefined
  try {
    return A.load<unknown>(Buffer.concat(chunks.map((c) => c.data as Uint8Array)))
  } catch {
    return undefined
  }
}
