import type {
  DocHandle,
  DocumentId,
  Repo,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'
import {
  digestOrder,
  summarizeOrder,
  type OrderDigest,
  type OrderDoc,
  type OrderSummary,
} from '@tabsync/core'
import { isContentChunk } from '../docs/chunk-keys.js'
import { silentLogger, type Logger } from '../log/logger.js'

/*
 * The summary cache (issue 15): for each order document stored on this device, the digest the
 * floor and the X/Z report need (core's `digestOrder`), stored in the device's own storage next
 * to the document, under `['tabsync-summary', documentId]`, valid for exactly the heads it was
 * derived at. A report of a stored day reads digests instead of opening 2,000 documents.
 *
 * How a stored entry is known to be valid without opening the document: automerge-repo stores a
 * document as chunks under `[documentId, 'snapshot' | 'incremental', name]`, and the names are
 * content hashes (an incremental is named by the SHA-256 of its bytes, a snapshot by the hash of
 * its heads; the one chunk the bulk catch-up writes, `catch-up`, is written only while the
 * document is absent). An entry records the chunk names and sizes it was derived from (its
 * fingerprint). Rule: the entry is valid when the document's chunks now are exactly those; any
 * change saved since adds or replaces a chunk, so the entry no longer matches and the order is
 * opened. A compaction that only rewrites chunks is a miss too (the order is opened once more),
 * never a stale figure. Reading the fingerprint reads the chunk keys (the adapters return their
 * bytes too) but decodes nothing and starts no sync exchange.
 *
 * Entries are written only from a document this device has loaded: after the repo flushed it,
 * with the fingerprint read back and the heads unchanged meanwhile (else the next change writes
 * it again). Debounced per document, so a check being rung up is not rewritten per keystroke.
 * A loaded document is always read from memory (its digest kept per heads), never from storage:
 * changes not yet saved count. A digest is never taken from another device: the prefix is not a
 * document, so nothing syncs it, and nothing reads a summary out of a document.
 */

/** Storage prefix of the summary cache. */
export const SUMMARY_PREFIX: StorageKey = ['tabsync-summary']

/** What the cache stores per order document. */
interface StoredEntry {
  readonly v: 1
  /** Heads (base58, sorted) the digest was derived at. */
  readonly heads: readonly string[]
  /** The document's chunks then: `type/name:bytes`, sorted. */
  readonly chunks: readonly string[]
  readonly digest: OrderDigest
}

/** Counters for tests and the bench: what reads were served from where. */
export interface SummaryCacheStats {
  /** Digests derived from a loaded document. */
  derived: number
  /** Stored entries found valid. */
  storedHits: number
  /** Stored entries found stale (chunks changed) or unreadable. */
  storedMisses: number
  /** Entries written. */
  written: number
}

/** Default debounce of a document's cache write after its last change. */
export const SUMMARY_WRITE_DELAY_MS = 1_000

export class SummaryCache {
  readonly #storage: StorageAdapterInterface
  readonly #repo: Repo
  readonly #logger: Logger
  readonly #delayMs: number
  /**
   * Summaries of loaded documents (and their digests, derived when first asked), by document,
   * with the heads they hold for: a day loaded, its report and the cache write derive each
   * order once.
   */
  readonly #memory = new Map<
    DocumentId,
    { heads: string; summary: OrderSummary; digest?: OrderDigest }
  >()
  /** Stored entries (read once, then kept in step with what this device writes). */
  #stored: Promise<Map<DocumentId, StoredEntry>> | undefined
  readonly #dirty = new Map<DocumentId, DocHandle<OrderDoc>>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #writing: Promise<void> = Promise.resolve()
  #closed = false
  readonly stats: SummaryCacheStats = { derived: 0, storedHits: 0, storedMisses: 0, written: 0 }

  constructor(
    storage: StorageAdapterInterface,
    repo: Repo,
    options: { logger?: Logger; delayMs?: number } = {},
  ) {
    this.#storage = storage
    this.#repo = repo
    this.#logger = options.logger ?? silentLogger
    this.#delayMs = options.delayMs ?? SUMMARY_WRITE_DELAY_MS
  }

  /** The summary of a loaded order at its current heads (derived once per heads). */
  summaryOf(handle: DocHandle<OrderDoc>): OrderSummary {
    return this.#derived(handle).summary
  }

  /** The digest of a loaded order at its current heads (derived once per heads). */
  fromHandle(handle: DocHandle<OrderDoc>): OrderDigest {
    const known = this.#derived(handle)
    return (known.digest ??= digestOrder(known.summary))
  }

  #derived(handle: DocHandle<OrderDoc>): { summary: OrderSummary; digest?: OrderDigest } {
    const heads = headsKey(handle.heads())
    const known = this.#memory.get(handle.documentId)
    if (known?.heads === heads) return known
    const entry = { heads, summary: summarizeOrder(handle.doc()) }
    this.stats.derived++
    this.#memory.set(handle.documentId, entry)
    return entry
  }

  /**
   * Stored digests of documents that are not loaded, for those whose chunks are exactly the
   * ones the digest was derived from (the rule above). Others are left out: open them.
   */
  async fromStorage(ids: readonly DocumentId[]): Promise<Map<DocumentId, OrderDigest>> {
    const stored = await this.#load()
    const out = new Map<DocumentId, OrderDigest>()
    await Promise.all(
      ids.map(async (id) => {
        const entry = stored.get(id)
        if (!entry) return
        try {
          const chunks = await this.#fingerprint(id)
          if (sameList(chunks, entry.chunks)) {
            out.set(id, entry.digest)
            this.stats.storedHits++
          } else this.stats.storedMisses++
        } catch (err) {
          this.stats.storedMisses++
          this.#logger.warn({ err, documentId: id }, 'summary cache entry not checked')
        }
      }),
    )
    return out
  }

  /** A loaded order changed (or was opened): its entry is written after the debounce. */
  touched(handle: DocHandle<OrderDoc>): void {
    if (this.#closed) return
    this.#dirty.set(handle.documentId, handle)
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.flush()
    }, this.#delayMs)
  }

  /** Writes the entries of every touched document now. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const handles = [...this.#dirty.values()]
    this.#dirty.clear()
    const write = this.#writing.then(() => this.#write(handles))
    this.#writing = write.catch(() => undefined)
    await write
  }

  /** Stops writing; with `flush`, after writing what is pending. */
  async close(flush: boolean): Promise<void> {
    if (flush) await this.flush()
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#dirty.clear()
    this.#closed = true
  }

  async #write(handles: readonly DocHandle<OrderDoc>[]): Promise<void> {
    const ready = handles.filter((h) => h.isReady())
    if (ready.length === 0) return
    const stored = await this.#load()
    await this.#repo.flush(ready.map((h) => h.documentId)).catch((err: unknown) => {
      this.#logger.warn({ err }, 'flush before the summary cache write failed')
    })
    await Promise.all(
      ready.map(async (handle) => {
        try {
          const heads = [...handle.heads()].sort()
          const digest = this.fromHandle(handle)
          const chunks = await this.#fingerprint(handle.documentId)
          // A change since the digest (even one not saved yet): the chunks may not be these
          // heads'. Its change event touches the document again.
          if (headsKey(handle.heads()) !== headsKey(heads) || chunks.length === 0) return
          const known = stored.get(handle.documentId)
          // Already stored for these chunks (a document re-opened at start): nothing to write.
          if (known && sameList(known.chunks, chunks)) return
          const entry: StoredEntry = { v: 1, heads, chunks, digest }
          if (this.#closed) return
          await this.#storage.save(
            [...SUMMARY_PREFIX, handle.documentId],
            new TextEncoder().encode(JSON.stringify(entry)),
          )
          stored.set(handle.documentId, entry)
          this.stats.written++
        } catch (err) {
          this.#logger.warn({ err, documentId: handle.documentId }, 'summary cache not written')
        }
      }),
    )
  }

  /** The document's chunks in storage: `type/name:bytes`, sorted (sync states left out). */
  async #fingerprint(id: DocumentId): Promise<string[]> {
    const chunks = await this.#storage.loadRange([id])
    return chunks
      .filter((c) => isContentChunk(c) && c.data)
      .map((c) => `${c.key[1]}/${c.key[2] ?? ''}:${c.data!.length}`)
      .sort()
  }

  #load(): Promise<Map<DocumentId, StoredEntry>> {
    this.#stored ??= (async () => {
      const map = new Map<DocumentId, StoredEntry>()
      for (const chunk of await this.#storage.loadRange(SUMMARY_PREFIX)) {
        const id = chunk.key[1] as DocumentId | undefined
        if (!id || !chunk.data) continue
        const entry = parseEntry(chunk.data)
        if (entry) map.set(id, entry)
        else this.#logger.warn({ documentId: id }, 'unreadable summary cache entry ignored')
      }
      return map
    })()
    return this.#stored
  }
}

function parseEntry(bytes: Uint8Array): StoredEntry | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<StoredEntry>
    if (
      value.v !== 1 ||
      !Array.isArray(value.heads) ||
      !Array.isArray(value.chunks) ||
      value.digest === null ||
      typeof value.digest !== 'object'
    ) {
      return undefined
    }
    return value as StoredEntry
  } catch {
    return undefined
  }
}

function headsKey(heads: readonly string[]): string {
  return [...heads].sort().join(',')
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
