import type {
  DocumentId,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'
import type { OrderDigest } from '@tabsync/core'
import { silentLogger, type Logger } from '../log/logger.js'

/*
 * The digest blob of the summary cache (issue 15): the digests of the orders stored on this
 * device, with what each is valid for, in a few storage values under `['tabsync-digests']` that
 * one `loadRange` reads. A write appends a small delta (the entries of one cache flush) instead
 * of rewriting every entry; after {@link COMPACT_AFTER} deltas a new base holds them all and the
 * older values are removed. Each value carries a sequence number: a reader takes the newest
 * readable base and the deltas after it, in order, so a crash during a compaction (new base
 * written, old values not yet removed) or a torn last write reads as the state before it.
 * Entries of old business days are dropped at compaction (the last {@link KEEP_DAYS} kept).
 */

/** Storage prefix of the digest blob. */
export const DIGEST_PREFIX: StorageKey = ['tabsync-digests']

/** Deltas after which the next write compacts into a new base. */
export const COMPACT_AFTER = 32

/** Business days whose entries a compaction keeps (the newest ones). */
export const KEEP_DAYS = 3

/** One order's entry. */
export interface StoredDigest {
  /** Heads (base58, sorted) the digest was derived at. */
  readonly heads: readonly string[]
  /** The document's chunks then: `type/name:bytes`, sorted. */
  readonly chunks: readonly string[]
  readonly digest: OrderDigest
}

interface StoredValue {
  readonly v: 2
  readonly seq: number
  readonly entries: Record<string, StoredDigest>
}

type Kind = 'base' | 'delta'

export class DigestLog {
  readonly #storage: StorageAdapterInterface
  readonly #logger: Logger
  #read: Promise<Map<DocumentId, StoredDigest>> | undefined
  /** Keys of the values read or written, with their sequence numbers (removed at compaction). */
  readonly #keys: { key: StorageKey; seq: number }[] = []
  #nextSeq = 1
  #deltas = 0

  constructor(storage: StorageAdapterInterface, logger: Logger = silentLogger) {
    this.#storage = storage
    this.#logger = logger
  }

  /** Every entry (read once; then kept in step with {@link append}). */
  entries(): Promise<Map<DocumentId, StoredDigest>> {
    this.#read ??= this.#load()
    return this.#read
  }

  /**
   * Writes `changed` (already set in {@link entries}' map by the caller or not: they are set
   * here). Resolves when the value is on disk. Returns the documents a compaction dropped.
   */
  async append(changed: ReadonlyMap<DocumentId, StoredDigest>): Promise<DocumentId[]> {
    const all = await this.entries()
    for (const [id, entry] of changed) all.set(id, entry)
    if (this.#deltas < COMPACT_AFTER) {
      await this.#put('delta', Object.fromEntries(changed))
      this.#deltas++
      return []
    }
    const kept = keepNewestDays(all)
    const dropped = [...all.keys()].filter((id) => !kept.has(id))
    const older = [...this.#keys]
    await this.#put('base', Object.fromEntries(kept))
    for (const id of dropped) all.delete(id)
    this.#keys.splice(0, older.length)
    this.#deltas = 0
    // The new base is on disk: the older values are read past from now on; remove them.
    await Promise.all(
      older.map(({ key }) =>
        this.#storage.remove(key).catch((err: unknown) => {
          this.#logger.warn({ err, key }, 'old digest value not removed')
        }),
      ),
    )
    return dropped
  }

  async #put(kind: Kind, entries: Record<string, StoredDigest>): Promise<void> {
    const seq = this.#nextSeq++
    const key = [...DIGEST_PREFIX, kind, String(seq).padStart(10, '0')]
    const value: StoredValue = { v: 2, seq, entries }
    await this.#storage.save(key, new TextEncoder().encode(JSON.stringify(value)))
    this.#keys.push({ key, seq })
  }

  async #load(): Promise<Map<DocumentId, StoredDigest>> {
    const values: { kind: Kind; seq: number; key: StorageKey; value?: StoredValue }[] = []
    for (const chunk of await this.#storage.loadRange(DIGEST_PREFIX)) {
      const kind = chunk.key[1]
      const seq = Number(chunk.key[2])
      if ((kind !== 'base' && kind !== 'delta') || !Number.isSafeInteger(seq) || !chunk.data) {
        continue
      }
      const value = parseValue(chunk.data, seq)
      if (!value) this.#logger.warn({ key: chunk.key }, 'unreadable digest value ignored')
      values.push({ kind, seq, key: chunk.key, ...(value ? { value } : {}) })
    }
    values.sort((a, b) => a.seq - b.seq)
    this.#nextSeq = (values.at(-1)?.seq ?? 0) + 1
    const base = values.filter((v) => v.kind === 'base' && v.value).at(-1)
    const map = new Map<DocumentId, StoredDigest>()
    for (const [id, entry] of Object.entries(base?.value?.entries ?? {})) {
      map.set(id as DocumentId, entry)
    }
    for (const v of values) {
      this.#keys.push({ key: v.key, seq: v.seq })
      if (v.kind !== 'delta' || !v.value || v.seq < (base?.seq ?? 0)) continue
      this.#deltas++
      for (const [id, entry] of Object.entries(v.value.entries)) map.set(id as DocumentId, entry)
    }
    return map
  }
}

function parseValue(bytes: Uint8Array, seq: number): StoredValue | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<StoredValue>
    if (value.v !== 2 || value.seq !== seq || !value.entries || typeof value.entries !== 'object') {
      return undefined
    }
    for (const entry of Object.values(value.entries)) {
      if (!validEntry(entry)) return undefined
    }
    return value as StoredValue
  } catch {
    return undefined
  }
}

function validEntry(entry: Partial<StoredDigest> | null): boolean {
  return (
    entry !== null &&
    typeof entry === 'object' &&
    Array.isArray(entry.heads) &&
    Array.isArray(entry.chunks) &&
    entry.digest !== null &&
    typeof entry.digest === 'object' &&
    typeof entry.digest.businessDate === 'string'
  )
}

/** The entries of the newest {@link KEEP_DAYS} business days among `all`. */
function keepNewestDays(all: ReadonlyMap<DocumentId, StoredDigest>): Map<DocumentId, StoredDigest> {
  const days = [...new Set([...all.values()].map((e) => e.digest.businessDate))].sort()
  const keep = new Set(days.slice(-KEEP_DAYS))
  return new Map([...all].filter(([, e]) => keep.has(e.digest.businessDate)))
}
