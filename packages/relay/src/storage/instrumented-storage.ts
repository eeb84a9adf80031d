import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'

/** What {@link InstrumentedStorage} reports. */
export interface StorageObserver {
  /** A write (save, remove, removeRange) finished or failed after `seconds`. */
  onWrite(seconds: number, ok: boolean): void
}

/**
 * Wraps any storage adapter to time its writes (the `storage write latency` metric), so the
 * relay measures whichever backend it runs on (files now, PostgreSQL on the roadmap).
 */
export class InstrumentedStorage implements StorageAdapterInterface {
  readonly inner: StorageAdapterInterface
  readonly #observer: StorageObserver

  constructor(inner: StorageAdapterInterface, observer: StorageObserver) {
    this.inner = inner
    this.#observer = observer
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.inner.load(key)
  }

  loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    return this.inner.loadRange(keyPrefix)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.#timed(() => this.inner.save(key, data))
  }

  remove(key: StorageKey): Promise<void> {
    return this.#timed(() => this.inner.remove(key))
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#timed(() => this.inner.removeRange(keyPrefix))
  }

  async #timed(write: () => Promise<void>): Promise<void> {
    const start = process.hrtime.bigint()
    let ok = false
    try {
      await write()
      ok = true
    } finally {
      this.#observer.onWrite(Number(process.hrtime.bigint() - start) / 1e9, ok)
    }
  }
}
