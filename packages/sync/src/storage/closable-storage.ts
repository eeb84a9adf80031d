import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from '../log/logger.js'
import {
  listDocumentKeys,
  listKeys,
  type DocumentKeyListing,
  type KeyListing,
} from './key-listing.js'

/**
 * Wraps the device's storage adapter so that closing the device is final: automerge-repo keeps
 * throttled saves (sync states, late document saves) on timers after `shutdown`, which would
 * write into a directory the caller is already removing. After {@link close} writes are
 * dropped (everything was flushed before), and `close` waits for writes still in flight.
 */
export class ClosableStorage implements StorageAdapterInterface, KeyListing, DocumentKeyListing {
  #inner: StorageAdapterInterface
  #inFlight = new Set<Promise<unknown>>()
  #closed = false
  #dropped = 0

  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  loadRange(prefix: StorageKey): Promise<Chunk[]> {
    return this.#inner.loadRange(prefix)
  }

  /** The keys under `prefix`, listed by the wrapped adapter where it can (key-listing.ts). */
  listKeys(prefix: StorageKey, logger?: Logger): Promise<StorageKey[]> {
    return listKeys(this.#inner, prefix, logger)
  }

  /** The keys of each document, listed by the wrapped adapter where it can (key-listing.ts). */
  listDocumentKeys(ids: readonly string[], logger?: Logger): Promise<Map<string, StorageKey[]>> {
    return listDocumentKeys(this.#inner, ids, logger)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.#write(() => this.#inner.save(key, data))
  }

  remove(key: StorageKey): Promise<void> {
    return this.#write(() => this.#inner.remove(key))
  }

  removeRange(prefix: StorageKey): Promise<void> {
    return this.#write(() => this.#inner.removeRange(prefix))
  }

  /**
   * Writes dropped because the storage was closed (they resolved without writing): "saved"
   * compares it before and after waiting, so a command racing a close is not told it is stored.
   */
  get droppedWrites(): number {
    return this.#dropped
  }

  /** Drops writes from now on; with `wait`, resolves when the writes in flight completed. */
  async close(wait: boolean): Promise<void> {
    this.#closed = true
    if (wait) await Promise.allSettled([...this.#inFlight])
  }

  #write(op: () => Promise<void>): Promise<void> {
    if (this.#closed) {
      this.#dropped++
      return Promise.resolve()
    }
    const p = op()
    this.#inFlight.add(p)
    void p.then(
      () => this.#inFlight.delete(p),
      () => this.#inFlight.delete(p),
    )
    return p
  }
}
