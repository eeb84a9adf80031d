import type {
  Chunk,
  DocumentId,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'
import type { Logger } from '../log/logger.js'
import {
  listDocumentKeys,
  listKeys,
  type DocumentKeyListing,
  type KeyListing,
} from '../storage/key-listing.js'
import { chunkEntry, isContentKey } from './chunk-fingerprint.js'

/*
 * The storage a device's Repo reads and writes through, noting for each document the content
 * chunks whose bytes went through that Repo: saved from its document, or loaded into it. The
 * summary cache (summary-cache.ts) uses it to write an entry without reading the document back:
 * when the document's chunks in storage are exactly the ones noted here and its handle did not
 * change while that was checked, the stored document is the handle's.
 *
 * Why that holds (automerge-repo 2.5.6, StorageSubsystem): the Repo reads a document's chunks
 * only to load them into its handle, and saves only bytes of its handle's document, so every
 * noted chunk holds changes the handle has. After `repo.flush`, the handle's changes are in
 * chunks it saved or loaded, and the Repo removes a chunk only after saving a snapshot of its
 * whole document. A chunk another writer saved (another tab, the bulk fetch) or removed makes
 * the sets differ: the cache then reads the bytes. Notes are taken when a write starts and
 * undone if it fails, so a write in flight makes the sets differ too, never agree wrongly.
 * Give this adapter to the Repo only: a read by anyone else is not a load into a handle.
 */

/** Per document: chunk key (`type/name`) to its fingerprint entry (chunk-fingerprint.ts). */
type Noted = Map<string, string>

export class RepoChunks implements StorageAdapterInterface, KeyListing, DocumentKeyListing {
  readonly #inner: StorageAdapterInterface
  readonly #docs = new Map<string, Noted>()

  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }

  /**
   * The fingerprint (chunk-fingerprint.ts) of the chunks of `id` this Repo saved or loaded and
   * did not remove, sorted; empty when it noted none.
   */
  fingerprint(id: DocumentId): string[] {
    return [...(this.#docs.get(id)?.values() ?? [])].sort()
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  async loadRange(prefix: StorageKey): Promise<Chunk[]> {
    const chunks = await this.#inner.loadRange(prefix)
    // The Repo loads a document as `[id, 'snapshot']` then `[id, 'incremental']`.
    if (prefix.length === 2 && isContentKey(prefix)) {
      for (const c of chunks) if (c.data && isContentKey(c.key)) this.#note(c.key, c.data)
    }
    return chunks
  }

  /** The keys under `prefix`, listed by the wrapped adapter where it can (key-listing.ts). */
  listKeys(prefix: StorageKey, logger?: Logger): Promise<StorageKey[]> {
    return listKeys(this.#inner, prefix, logger)
  }

  /** The keys of each document, listed by the wrapped adapter where it can (key-listing.ts). */
  listDocumentKeys(ids: readonly string[], logger?: Logger): Promise<Map<string, StorageKey[]>> {
    return listDocumentKeys(this.#inner, ids, logger)
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (!isContentKey(key)) return this.#inner.save(key, data)
    const noted = this.#note(key, data)
    try {
      await this.#inner.save(key, data)
    } catch (err) {
      if (noted) this.#forget(key)
      throw err
    }
  }

  remove(key: StorageKey): Promise<void> {
    if (isContentKey(key)) this.#forget(key)
    return this.#inner.remove(key)
  }

  removeRange(prefix: StorageKey): Promise<void> {
    for (const [id, noted] of this.#docs) {
      if (prefix[0] !== undefined && prefix[0] !== id) continue
      for (const k of [...noted.keys()]) {
        const parts = k.split('/')
        if (prefix.slice(1).every((p, i) => parts[i] === p)) noted.delete(k)
      }
    }
    return this.#inner.removeRange(prefix)
  }

  /** Notes a content chunk; true when it was not noted before. */
  #note(key: StorageKey, data: Uint8Array): boolean {
    const [id, type, name] = key as [string, string, string]
    let noted = this.#docs.get(id)
    if (!noted) this.#docs.set(id, (noted = new Map()))
    const k = `${type}/${name}`
    const fresh = !noted.has(k)
    noted.set(k, chunkEntry(key, data))
    return fresh
  }

  #forget(key: StorageKey): void {
    const [id, type, name] = key
    if (id !== undefined) this.#docs.get(id)?.delete(`${type}/${name}`)
  }
}
