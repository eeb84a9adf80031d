import * as A from '@automerge/automerge'
import type { DocumentId, Repo, StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { isContentChunk } from './chunk-keys.js'

/**
 * A document's content read without opening it in the repo: from its handle when it is loaded
 * (changes not saved yet count), else `Automerge.load` of its stored chunks. Opening a document
 * (`repo.find`) costs about three loads (automerge-repo loads it incrementally, then diffs it
 * from empty for the change event) and starts a sync exchange with every peer, which makes the
 * relay load it too; a device that only needs to read a document once (the table index of a
 * day, on the way to the open checks) reads it here and opens it later. Undefined when the
 * document is neither loaded nor stored here, or its chunks do not load (logged by the caller).
 */
export async function readStoredDoc<T>(
  repo: Repo,
  storage: StorageAdapterInterface,
  id: DocumentId,
): Promise<A.Doc<T> | undefined> {
  const handle = repo.handles[id]
  if (handle?.isReady() && handle.heads().length > 0) return handle.doc() as A.Doc<T>
  const chunks = (await storage.loadRange([id])).filter(
    (c) => isContentChunk(c) && c.data !== undefined,
  )
  if (chunks.length === 0) return undefined
  // Snapshots first, as automerge-repo concatenates them; Automerge loads the chunks as one.
  chunks.sort((a, b) => rank(a.key[1]) - rank(b.key[1]))
  const size = chunks.reduce((n, c) => n + c.data!.length, 0)
  const bytes = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    bytes.set(c.data!, at)
    at += c.data!.length
  }
  return A.load<T>(bytes)
}

function rank(type: string | undefined): number {
  return type === 'snapshot' ? 0 : 1
}
