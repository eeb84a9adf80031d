import * as A from '@automerge/automerge'
import {
  encodeHeads,
  type DocumentId,
  type Repo,
  type StorageAdapterInterface,
} from '@automerge/automerge-repo/slim'
import { fingerprintOfChunks } from './chunk-fingerprint.js'
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
  return (await readDocAndSource<T>(repo, storage, id))?.doc
}

/**
 * Where {@link readStoredDoc} read the document: its loaded handle, or exactly these stored
 * content chunks (their fingerprint: chunk-fingerprint.ts), read in the same `loadRange`; with
 * the heads read (base58, as `handle.heads()`).
 */
export type ReadSource =
  | { readonly from: 'memory'; readonly heads: readonly string[] }
  | {
      readonly from: 'storage'
      readonly heads: readonly string[]
      readonly chunks: readonly string[]
    }

/** {@link readStoredDoc}, and where the content came from (a caller remembering what it read). */
export async function readDocAndSource<T>(
  repo: Repo,
  storage: StorageAdapterInterface,
  id: DocumentId,
): Promise<{ doc: A.Doc<T>; source: ReadSource } | undefined> {
  const handle = repo.handles[id]
  if (handle?.isReady() && handle.heads().length > 0) {
    return { doc: handle.doc() as A.Doc<T>, source: { from: 'memory', heads: handle.heads() } }
  }
  const chunks = (await storage.loadRange([id])).filter(
    (c) => isContentChunk(c) && c.data !== undefined,
  )
  if (chunks.length === 0) return undefined
  const names = fingerprintOfChunks(chunks) ?? []
  // Snapshots first, as automerge-repo concatenates them; Automerge loads the chunks as one.
  chunks.sort((a, b) => rank(a.key[1]) - rank(b.key[1]))
  const size = chunks.reduce((n, c) => n + c.data!.length, 0)
  const bytes = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    bytes.set(c.data!, at)
    at += c.data!.length
  }
  const doc = A.load<T>(bytes)
  return { doc, source: { from: 'storage', heads: encodeHeads(A.getHeads(doc)), chunks: names } }
}

function rank(type: string | undefined): number {
  return type === 'snapshot' ? 0 : 1
}
