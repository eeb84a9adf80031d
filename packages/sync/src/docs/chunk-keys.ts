import type { Chunk, DocumentId, StorageKey } from '@automerge/automerge-repo/slim'

/*
 * Where a document's content lives in a device's storage: automerge-repo stores it as chunks
 * under `[documentId, 'snapshot' | 'incremental', name]` (next to other keys of that document,
 * such as sync states), and a document fetched in bulk is written as one incremental chunk of
 * its own name, which automerge-repo loads like any other. That name is new per write
 * (`catch-up-<random>`): two writers sharing a storage (two tabs) that each fetch the document
 * write two chunks, never one name over another's bytes, so a chunk name always stands for one
 * content (the summary cache's fingerprints rely on it; see chunk-fingerprint.ts).
 */

/** True for a chunk holding document content (a snapshot or an incremental). */
export function isContentChunk(chunk: Chunk): boolean {
  return chunk.key[1] === 'snapshot' || chunk.key[1] === 'incremental'
}

/** A new key for the chunk a bulk-fetched document is stored under (catch-up, seeding). */
export function bulkChunkKey(id: DocumentId | string): StorageKey {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  const name = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return [id, 'incremental', `catch-up-${name}`]
}
