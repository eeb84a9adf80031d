import type { Chunk, DocumentId, StorageKey } from '@automerge/automerge-repo/slim'

/*
 * Where a document's content lives in a device's storage: automerge-repo stores it as chunks
 * under `[documentId, 'snapshot' | 'incremental', name]` (next to other keys of that document,
 * such as sync states), and a document fetched in bulk is written as one incremental chunk of
 * its own name, which automerge-repo loads like any other.
 */

/** True for a chunk holding document content (a snapshot or an incremental). */
export function isContentChunk(chunk: Chunk): boolean {
  return chunk.key[1] === 'snapshot' || chunk.key[1] === 'incremental'
}

/** The key of the single chunk a bulk-fetched document is stored under (catch-up, seeding). */
export function bulkChunkKey(id: DocumentId | string): StorageKey {
  return [id, 'incremental', 'catch-up']
}
