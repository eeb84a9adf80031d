import * as A from '@automerge/automerge'
import type {
  DocHandle,
  DocumentId,
  Repo,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'
import { decodeHeads } from '@automerge/automerge-repo/slim'
import {
  digestOrder,
  summarizeOrder,
  type OrderDigest,
  type OrderDoc,
  type OrderSummary,
} from '@tabsync/core'
import { fingerprintOfChunks, fingerprintOfKeys, isContentKey } from '../docs/chunk-fingerprint.js'
import type { RepoChunks } from '../docs/repo-chunks.js'
import { silentLogger, type Logger } from '../log/logger.js'
import { listDocumentKeys, listKeys } from '../storage/key-listing.js'
import { SUMMARY_BLOBS_PREFIX, dayPrefix, type SummaryEntry } from './summary-blobs.js'
import { StoredDay } from './summary-day.js'

/*
 * The summary cache (issue 15): for each order document stored on this device, the digest the
 * floor and the X/Z report need (core's `digestOrder`), kept in the device's own storage, so a
 * report of a stored day reads digests instead of opening 2,000 documents.
 *
 * An entry says: "this digest is of the document stored as exactly these chunks". automerge-repo
 * stores a document as chunks under `[documentId, 'snapshot' | 'incremental', name]` whose names
 * each stand for one content (chunk-fingerprint.ts). So:
 * - Written for what is stored, not for what is in memory: after the repo flushed the document,
 *   its chunks are listed. When they are exactly the chunks this repo saved or loaded (the
 *   repo's storage notes them: repo-chunks.ts) and the handle did not change meanwhile, they
 *   are the handle's document and the digest is the handle's, no byte read. Otherwise (a chunk
 *   of another writer: another tab on the same storage, the bulk fetch) they are read back with
 *   their bytes: the handle's digest if they make its heads, else derived from them. Whoever
 *   wrote the chunks, the entry matches its own fingerprint.
 * - Served only when the document's chunks are exactly the entry's now (listed without their
 *   bytes where the adapter allows, those of a read's orders in one pass: key-listing.ts). Any
 *   change saved since adds a chunk; a compaction replaces chunks: a miss (the order is
 *   opened), never a stale figure. A chunk lost in a crash is a miss too.
 * Several writers may share one storage: each SummaryCache is one writer with its own blobs per
 * business day (summary-blobs.ts), all read with one `loadRange` per day; a write adds a blob of
 * the entries that changed, and now and then the whole day again (summary-day.ts). Entries of
 * other writers are used only through the same check, and folded into this writer's whole blob
 * when it first writes that day (their blobs are then removed: a writer still running keeps its
 * own in memory and writes them again with its next whole blob; an entry lost so is a miss). A
 * loaded document is always read from memory (its digest kept per heads), never from storage:
 * changes not yet saved count. A digest is never taken from another device: the prefix is not a
 * document, so nothing syncs it.
 */

/** Storage prefix of the summary cache. */
export const SUMMARY_PREFIX: StorageKey = SUMMARY_BLOBS_PREFIX

/** Where entries of earlier versions lived (one per document, removed on the first write). */
const LEGACY_PREFIX: StorageKey = ['tabsync-summary']

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
  /** Entries written without reading the document back: its chunks were all this repo's. */
  writtenFromRepoChunks: number
}

/** Default debounce of a document's cache write after its last change. */
export const SUMMARY_WRITE_DELAY_MS = 1_000

export class SummaryCache {
  readonly #storage: StorageAdapterInterface
  readonly #repo: Repo
  readonly #logger: Logger
  readonly #delayMs: number
  /** This writer (one per SummaryCache: two tabs on one storage are two writers). */
  readonly writer = randomWriterId()
  /**
   * Summaries of loaded documents (and their digests, derived when first asked), by document,
   * with the heads they hold for: a day loaded, its report and the cache write derive each
   * order once.
   */
  readonly #memory = new Map<
    DocumentId,
    { heads: string; summary: OrderSummary; digest?: OrderDigest }
  >()
  /** Per business day: the stored blobs, read once (this writer's kept in step with its writes). */
  readonly #days = new Map<string, Promise<StoredDay>>()
  readonly #dirty = new Map<DocumentId, DocHandle<OrderDoc>>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #writing: Promise<void> = Promise.resolve()
  #legacyRemoved = false
  #closed = false
  readonly stats: SummaryCacheStats = {
    derived: 0,
    storedHits: 0,
    storedMisses: 0,
    written: 0,
    writtenFromRepoChunks: 0,
  }
  /** The chunks the repo saved or loaded, when its storage goes through a RepoChunks. */
  readonly #repoChunks: RepoChunks | undefined

  constructor(
    storage: StorageAdapterInterface,
    repo: Repo,
    options: { logger?: Logger; delayMs?: number; repoChunks?: RepoChunks } = {},
  ) {
    this.#storage = storage
    this.#repo = repo
    this.#repoChunks = options.repoChunks
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

  /** Starts reading the stored entries of `date` (a report reads its tables meanwhile). */
  prepare(date: string): void {
    void this.#day(date)
  }

  /**
   * Stored digests of orders of business day `date` that are not loaded, for those whose chunks
   * are exactly the ones an entry (of any writer) was derived from (the rule above). Others are
   * left out: open them. The chunk names of all of them are listed in one pass where the
   * adapter allows it (key-listing.ts).
   */
  async fromStorage(
    ids: readonly DocumentId[],
    date: string,
  ): Promise<Map<DocumentId, OrderDigest>> {
    const day = await this.#day(date)
    const out = new Map<DocumentId, OrderDigest>()
    const known = ids.filter((id) => day.has(id))
    if (known.length === 0) return out
    let listed: Map<string, StorageKey[]>
    try {
      listed = await listDocumentKeys(this.#storage, known, this.#logger)
    } catch (err) {
      this.stats.storedMisses += known.length
      this.#logger.warn({ err, date }, 'summary cache entries not checked')
      return out
    }
    await Promise.all(
      known.map(async (id) => {
        try {
          const chunks = await fingerprintOfKeys(this.#storage, listed.get(id) ?? [])
          const hit = chunks && day.candidates(id).find((e) => sameList(e.chunks, chunks))
          if (hit) {
            out.set(id, hit.digest)
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
    // The heads each handle is saved at by the flush (a change arriving meanwhile moves them);
    // none when the flush failed (what is stored is then read back).
    let flushedHeads = new Map(ready.map((h) => [h.documentId, headsKey(h.heads())]))
    await this.#repo.flush(ready.map((h) => h.documentId)).catch((err: unknown) => {
      flushedHeads = new Map()
      this.#logger.warn({ err }, 'flush before the summary cache write failed')
    })
    const changed = new Map<string, Set<DocumentId>>()
    await Promise.all(
      ready.map(async (handle) => {
        try {
          const entry = await this.#entryFromStorage(handle, flushedHeads.get(handle.documentId))
          if (!entry || this.#closed) return
          const day = await this.#day(entry.digest.businessDate)
          const known = day.own.get(handle.documentId)
          // Already stored for these chunks (a document re-opened at start): nothing to write.
          if (known && sameList(known.chunks, entry.chunks)) return
          day.own.set(handle.documentId, entry)
          const date = entry.digest.businessDate
          changed.set(date, (changed.get(date) ?? new Set()).add(handle.documentId))
          this.stats.written++
        } catch (err) {
          this.#logger.warn({ err, documentId: handle.documentId }, 'summary cache not written')
        }
      }),
    )
    for (const [date, ids] of changed) {
      if (this.#closed) return
      const day = await this.#day(date)
      try {
        await day.write(this.#storage, this.writer, date, ids)
      } catch (err) {
        this.#logger.warn({ err, date }, 'summary cache blob not written')
      }
    }
    if (changed.size > 0 && !this.#legacyRemoved && !this.#closed) {
      this.#legacyRemoved = true
      await this.#storage.removeRange(LEGACY_PREFIX).catch((err: unknown) => {
        this.#logger.warn({ err }, 'summary cache entries of an earlier version not removed')
      })
    }
  }

  /**
   * The entry of the document as stored now: the digest of exactly its chunks. When they are the
   * ones this repo saved or loaded (repo-chunks.ts) and the handle stayed at the heads it was
   * flushed at, they are the handle's document; otherwise they are read back with their bytes.
   * Undefined when it has no content chunk or one vanished while read.
   */
  async #entryFromStorage(
    handle: DocHandle<OrderDoc>,
    flushedHeads: string | undefined,
  ): Promise<SummaryEntry | undefined> {
    const id = handle.documentId
    if (this.#repoChunks && flushedHeads !== undefined) {
      const chunks = await fingerprintOfKeys(
        this.#storage,
        await listKeys(this.#storage, [id], this.#logger),
      )
      if (!chunks || chunks.length === 0) return undefined
      // Read after the listing: a repo write since makes the two differ (repo-chunks.ts).
      const own = this.#repoChunks.fingerprint(id)
      if (
        sameList(own, chunks) &&
        headsKey(handle.heads()) === flushedHeads &&
        this.#repo.handles[id] === handle
      ) {
        this.stats.writtenFromRepoChunks++
        return { chunks, digest: this.fromHandle(handle) }
      }
    }
    return this.#entryFromBytes(handle)
  }

  /** The entry of the document as stored now, from its chunks read back with their bytes. */
  async #entryFromBytes(handle: DocHandle<OrderDoc>): Promise<SummaryEntry | undefined> {
    const stored = (await this.#storage.loadRange([handle.documentId])).filter((c) =>
      isContentKey(c.key),
    )
    const chunks = fingerprintOfChunks(stored)
    if (!chunks || chunks.length === 0) return undefined
    // Loaded as automerge-repo loads a document: snapshots first, then incrementals.
    let doc = A.init<OrderDoc>()
    for (const type of ['snapshot', 'incremental']) {
      for (const c of stored) if (c.key[1] === type && c.data) doc = A.loadIncremental(doc, c.data)
    }
    const storedHeads = A.getHeads(doc)
    if (storedHeads.length === 0) return undefined
    const handleHeads = decodeHeads(handle.heads())
    const digest =
      headsKey(storedHeads) === headsKey(handleHeads)
        ? this.fromHandle(handle)
        : digestOrder(summarizeOrder(doc))
    return { chunks, digest }
  }

  /** The blobs of `date`: read once, this writer's own entries kept in step with its writes. */
  #day(date: string): Promise<StoredDay> {
    let day = this.#days.get(date)
    if (!day) {
      // Unreadable storage: no entries (every order is opened), reported once per day.
      day = this.#readDay(date).catch((err: unknown) => {
        this.#logger.warn({ err, date }, 'summary cache entries not read')
        return new StoredDay()
      })
      this.#days.set(date, day)
    }
    return day
  }

  async #readDay(date: string): Promise<StoredDay> {
    return StoredDay.fromBlobs(await this.#storage.loadRange(dayPrefix(date)), (key) =>
      this.#logger.warn({ date, key }, 'unreadable summary cache blob ignored'),
    )
  }
}

function randomWriterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function headsKey(heads: readonly string[]): string {
  return [...heads].sort().join(',')
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
