import type { Logger } from '../log.js'

/** Default bound (bytes) of the document writes a relay keeps in memory while storage fails. */
export const DEFAULT_MAX_KEPT_BYTES = 64 * 2 ** 20

/** Options of {@link KeptWritesBound}. */
export interface KeptWritesBoundOptions {
  /** Bytes of kept writes at which the relay stops accepting writes of the stores concerned. */
  readonly maxBytes: number
  /** The documents with kept writes now (`KeptWritesStorage.keptDocuments`). */
  readonly keptDocuments: () => Iterable<string>
  /** The stores a document belongs to (empty when the relay does not know it). */
  readonly storesOf: (documentId: string) => readonly string[]
  readonly log: Logger
}

/**
 * The bound on the document writes `KeptWritesStorage` holds in memory while storage fails.
 *
 * Those writes were acknowledged to devices already (the relay's copy moved on), so they are
 * never dropped: the bound stops what comes next instead. From the moment the kept bytes reach
 * `maxBytes`, the stores whose documents have kept writes are *full*: the relay refuses their
 * changes (close code `storageFull`, upgrade 503 `storage-full`) before the repo sees them, so
 * it never acknowledges a change it cannot keep; the devices keep them and retry with backoff.
 * Stores whose writes still succeed are served as before. What was admitted while the bound was
 * being reached is kept as well: the bound is exceeded by at most the writes in flight then.
 * The episode ends once the kept writes are down to half the bound (so a storage that is still
 * failing does not switch the refusal on and off with every write); both ends are logged once.
 */
export class KeptWritesBound {
  readonly maxBytes: number
  readonly #options: KeptWritesBoundOptions
  #bytes = 0
  #full = false
  /** Stores with kept writes, computed once per change of the kept writes while full;
   *  `every` when a kept document's store is unknown (then no store is told "saved"). */
  #stores: Set<string> | 'every' | undefined
  #since = 0
  #refused = 0

  constructor(options: KeptWritesBoundOptions) {
    this.maxBytes = options.maxBytes
    this.#options = options
  }

  /** True while writes of the stores with kept writes are refused. */
  get full(): boolean {
    return this.#full
  }

  /** Kept bytes as last reported (`KeptWritesStorage`'s `onKeptBytes`). */
  update(bytes: number): void {
    this.#bytes = bytes
    this.#stores = undefined
    if (!this.#full && bytes >= this.maxBytes) {
      this.#full = true
      this.#since = Date.now()
      this.#refused = 0
      this.#options.log.error(
        { keptBytes: bytes, maxKeptBytes: this.maxBytes, storeIds: this.#describe() },
        'storage failing and kept writes at their bound: refusing new writes of these stores until they are stored',
      )
    } else if (this.#full && bytes <= this.maxBytes / 2) {
      this.#full = false
      this.#options.log.warn(
        { keptBytes: bytes, refused: this.#refused, fullMs: Date.now() - this.#since },
        'kept writes stored: accepting writes again',
      )
    }
  }

  /** Must a write for one of `storeIds` be refused now? Counts the refusal. */
  refuses(storeIds: readonly string[]): boolean {
    if (!this.#full) return false
    const full = this.#fullStores()
    if (full !== 'every' && !storeIds.some((s) => full.has(s))) return false
    this.#refused += 1
    return true
  }

  /** Kept bytes as last reported. */
  get keptBytes(): number {
    return this.#bytes
  }

  #fullStores(): Set<string> | 'every' {
    if (this.#stores) return this.#stores
    const stores = new Set<string>()
    for (const doc of this.#options.keptDocuments()) {
      const of = this.#options.storesOf(doc)
      if (of.length === 0) return (this.#stores = 'every')
      for (const s of of) stores.add(s)
    }
    return (this.#stores = stores)
  }

  #describe(): string[] | 'every' {
    const full = this.#fullStores()
    return full === 'every' ? full : [...full]
  }
}
