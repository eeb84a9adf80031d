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
import type { DirtyMarkStorage } from '../storage/dirty-marks.js'
import type { DigestLog, StoredDigest } from './digest-log.js'

/*
 * The summary cache (issue 15): for each order document stored on this device, the digest the
 * floor and the X/Z report need (core's `digestOrder`), valid for exactly the heads it was
 * derived at. A report of a stored day reads digests instead of opening 2,000 documents.
 *
 * Where entries live: all in one blob, `['tabsync-digests']` (digest-log.ts: a base and small
 * deltas, read with one `loadRange`), each entry with the heads it was derived at and the
 * document's chunks then (its fingerprint: `type/name:bytes` of every snapshot and incremental;
 * automerge-repo names an incremental by the SHA-256 of its bytes and a snapshot by the hash of
 * its heads, and the catch-up's one chunk is written only while the document is absent).
 *
 * How a stored entry is known to be valid without opening the document: write-ahead dirty
 * marks (storage/dirty-marks.ts). Every write of the device's storage passes a wrapper; before
 * the first write of a document's content (a save, a compaction, a removal, a bulk chunk) after
 * its entry was written, the wrapper writes `['tabsync-dirty', id]` and waits for it. So an
 * entry without a mark is valid: nothing of its document was written since. A marked entry is
 * checked the old way: valid when the document's chunks now are exactly its fingerprint (one
 * listing of that document); otherwise the order is opened. A compaction that only rewrites
 * chunks is a miss (opened once more), never a stale figure. A crash between the mark and the
 * chunk, or between the chunk and the blob, leaves the mark. A cold start reads the blob and
 * the marks (two `loadRange`s), lists only the marked documents and opens only the misses.
 *
 * Entries are written only from a document this device has loaded: the wrapper is told first
 * (from then on its writes are marked), the repo flushes it, the writes in flight complete, the
 * digest is taken at heads that did not move meanwhile, with the fingerprint read back; the
 * mark goes only once the blob holding the entry is on disk and no content of the document was
 * written since (else the next change writes it again). Debounced, so a check being rung up is
 * not rewritten per keystroke. A loaded document is always read from memory (its digest kept per
 * heads), never from storage: changes not yet saved count. A digest is never taken from another
 * device: the prefixes are not documents, so nothing syncs them, and nothing reads a summary out
 * of a document. One process writes a device's storage (one Device per storage).
 */

/** Storage prefix of the per-document entries of earlier versions (ignored; removed once). */
const LEGACY_SUMMARY_PREFIX: StorageKey = ['tabsync-summary']

/** Where the cache keeps its entries (see open-device.ts). */
export interface SummaryStorage {
  /** The device's storage (reads, and removals of old entries). */
  readonly storage: StorageAdapterInterface
  /** The wrapper below it that writes the dirty marks. */
  readonly marks: DirtyMarkStorage
  /** The digest blob (the one `marks` reads its documents from). */
  readonly log: DigestLog
}

/** Counters for tests and the bench: what reads were served from where. */
export interface SummaryCacheStats {
  /** Digests derived from a loaded document. */
  derived: number
  /** Stored entries found valid. */
  storedHits: number
  /** Stored entries found stale (chunks changed) or unreadable. */
  storedMisses: number
  /** Stored entries with a dirty mark, checked against the document's chunks. */
  storedChecked: number
  /** Entries written. */
  written: number
}

/** Default debounce of a document's cache write after its last change. */
export const SUMMARY_WRITE_DELAY_MS = 1_000

export class SummaryCache {
  readonly #storage: StorageAdapterInterface
  readonly #marks: DirtyMarkStorage
  readonly #log: DigestLog
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
  readonly #dirty = new Map<DocumentId, DocHandle<OrderDoc>>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #writing: Promise<void> = Promise.resolve()
  #legacyRemoved = false
  #closed = false
  readonly stats: SummaryCacheStats = {
    derived: 0,
    storedHits: 0,
    storedMisses: 0,
    storedChecked: 0,
    written: 0,
  }

  constructor(
    parts: SummaryStorage,
    repo: Repo,
    options: { logger?: Logger; delayMs?: number } = {},
  ) {
    this.#storage = parts.storage
    this.#marks = parts.marks
    this.#log = parts.log
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
   * Stored digests of documents that are not loaded: an entry without a dirty mark as it is, a
   * marked one when the document's chunks are exactly those it was derived from (the rules
   * above). Others are left out: open them.
   */
  async fromStorage(ids: readonly DocumentId[]): Promise<Map<DocumentId, OrderDigest>> {
    const [stored, marked] = await Promise.all([this.#log.entries(), this.#marks.marked()])
    const out = new Map<DocumentId, OrderDigest>()
    await Promise.all(
      ids.map(async (id) => {
        const entry = stored.get(id)
        if (!entry) return
        if (!marked.has(id)) {
          out.set(id, entry.digest)
          this.stats.storedHits++
          return
        }
        this.stats.storedChecked++
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
    if (ready.length === 0 || this.#closed) return
    const stored = await this.#log.entries()
    // The heads the flush saves (it takes each document as it is now).
    const flushed = new Map(ready.map((h) => [h.documentId, headsKey(h.heads())]))
    await this.#repo.flush(ready.map((h) => h.documentId)).catch((err: unknown) => {
      this.#logger.warn({ err }, 'flush before the summary cache write failed')
    })
    const tokens = new Map<DocumentId, number>()
    const changed = new Map<DocumentId, StoredDigest>()
    const unchanged: DocumentId[] = []
    await Promise.all(
      ready.map(async (handle) => {
        const id = handle.documentId
        try {
          // From here on the document's writes are marked first; those issued (the flush's)
          // have completed.
          const token = await this.#marks.beginEntry(id)
          // A change since the flush (even one not saved yet): the chunks are not these heads'.
          // Its change event touches the document again.
          if (headsKey(handle.heads()) !== flushed.get(id)) return
          const heads = [...handle.heads()].sort()
          const digest = this.fromHandle(handle)
          const chunks = await this.#fingerprint(id)
          if (headsKey(handle.heads()) !== flushed.get(id) || chunks.length === 0) return
          tokens.set(id, token)
          const known = stored.get(id)
          // Already stored for these chunks (a document re-opened at start): no new entry.
          if (known && sameList(known.chunks, chunks)) unchanged.push(id)
          else changed.set(id, { heads, chunks, digest })
        } catch (err) {
          this.#logger.warn({ err, documentId: id }, 'summary cache not written')
        }
      }),
    )
    if (this.#closed) return
    if (changed.size > 0) {
      try {
        const dropped = await this.#log.append(changed)
        this.stats.written += changed.size
        await Promise.all(dropped.map((id) => this.#marks.untrack(id)))
      } catch (err) {
        // Not on disk: the marks stay, the entries are checked against the chunks.
        this.#logger.warn({ err, documents: changed.size }, 'summary cache not written')
        return
      }
    }
    await Promise.all(
      [...changed.keys(), ...unchanged].map((id) =>
        this.#marks.entryWritten(id, tokens.get(id)!).catch((err: unknown) => {
          this.#logger.warn({ err, documentId: id }, 'dirty mark not removed')
        }),
      ),
    )
    this.#removeLegacy()
  }

  /** Earlier versions kept one value per document under `['tabsync-summary']`: gone once. */
  #removeLegacy(): void {
    if (this.#legacyRemoved || this.#closed) return
    this.#legacyRemoved = true
    this.#storage.removeRange(LEGACY_SUMMARY_PREFIX).catch((err: unknown) => {
      this.#logger.warn({ err }, 'old summary cache entries not removed')
    })
  }

  /** The document's chunks in storage: `type/name:bytes`, sorted (sync states left out). */
  async #fingerprint(id: DocumentId): Promise<string[]> {
    const chunks = await this.#storage.loadRange([id])
    return chunks
      .filter((c) => isContentChunk(c) && c.data)
      .map((c) => `${c.key[1]}/${c.key[2] ?? ''}:${c.data!.length}`)
      .sort()
  }
}

function headsKey(heads: readonly string[]): string {
  return [...heads].sort().join(',')
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
