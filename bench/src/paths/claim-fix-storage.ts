// Bench-side workaround for a relay race (see bench/README, "Found while benchmarking"): the
// relay saves a peer's sync state for a document before that peer's content claims it, then
// `#claim` sees "content already stored" and quarantines the document. This wrapper hides
// `sync-state` chunks from a whole-document `loadRange`, which is what the fix in
// @tabsync/relay's ownership claim would do. Used only while the relay has the race.
import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'

/** Wraps a storage adapter so `loadRange([documentId])` leaves out sync-state chunks. */
export class ClaimFixStorage implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }
  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }
  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.#inner.save(key, data)
  }
  remove(key: StorageKey): Promise<void> {
    return this.#inner.remove(key)
  }
  async loadRange(prefix: StorageKey): Promise<Chunk[]> {
    const chunks = await this.#inner.loadRange(prefix)
    if (prefix.length !== 1) return chunks
    return chunks.filter((c) => c.key[1] !== 'sync-state')
  }
  removeRange(prefix: StorageKey): Promise<void> {
    return this.#inner.removeRange(prefix)
  }
}
