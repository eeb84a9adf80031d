import type {
  Chunk,
  DocumentId,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'
import {
  blobKey,
  blobWriter,
  encodeBlob,
  parseBlob,
  type DayEntries,
  type SummaryEntry,
} from './summary-blobs.js'

/*
 * The summary cache's entries of one business day, as one writer (one SummaryCache) knows and
 * writes them. Reading: every blob of the day (one `loadRange`), each writer's blobs applied in
 * their order, the entries of other writers folded into this writer's. Writing: a blob of only
 * the entries that changed since the last write (a segment), so a debounced write costs what
 * changed, not the whole day; the whole day is written again (and every blob read or written
 * before it removed: storage stays bounded) on this writer's first write of the day, which folds
 * the other writers' blobs in, and then whenever its segments add up to the size of its last
 * whole blob or number SEGMENTS_PER_WHOLE. Any entry, old or new, states the digest of exactly
 * the chunks it names, so a blob lost, torn or removed early only makes misses.
 */

/** At most this many segments between two whole blobs (a day's read stays a few files). */
export const SEGMENTS_PER_WHOLE = 32

export class StoredDay {
  /** This writer's entries (with those of other writers folded in). */
  readonly own: DayEntries = new Map()
  /** Other entries for documents that already have one (another fingerprint, another writer). */
  readonly #extra = new Map<DocumentId, SummaryEntry[]>()
  /** Blobs the next whole blob replaces: the day's blobs read, this writer's written since. */
  #replaced: StorageKey[] = []
  #wroteWhole = false
  #lastSeq = 0
  #segments = 0
  #segmentBytes = 0
  #wholeBytes = 0

  /**
   * The day from its stored blobs (`chunks`: a `loadRange` of the day); `unreadable` hears of
   * each blob that does not parse (ignored).
   */
  static fromBlobs(chunks: readonly Chunk[], unreadable: (key: StorageKey) => void): StoredDay {
    const day = new StoredDay()
    const byWriter = new Map<string, { seq: number; entries: DayEntries }[]>()
    for (const chunk of chunks) {
      const name = blobWriter(chunk.key)
      if (!chunk.data || !name) continue
      day.#replaced.push(chunk.key)
      const entries = parseBlob(chunk.data)
      if (!entries) {
        unreadable(chunk.key)
        continue
      }
      const blobs = byWriter.get(name.writer) ?? []
      blobs.push({ seq: name.seq, entries })
      byWriter.set(name.writer, blobs)
    }
    for (const blobs of byWriter.values()) {
      // A writer's later blob holds its newer entry of a document.
      const latest: DayEntries = new Map()
      for (const b of blobs.sort((x, y) => x.seq - y.seq))
        for (const [id, e] of b.entries) latest.set(id, e)
      for (const [id, e] of latest) {
        if (!day.own.has(id)) day.own.set(id, e)
        else day.#extra.set(id, [...(day.#extra.get(id) ?? []), e])
      }
    }
    return day
  }

  /** True when some writer has an entry for `id`. */
  has(id: DocumentId): boolean {
    return this.own.has(id)
  }

  /** Every entry known for `id`, this writer's first. */
  candidates(id: DocumentId): SummaryEntry[] {
    const own = this.own.get(id)
    return [...(own ? [own] : []), ...(this.#extra.get(id) ?? [])]
  }

  /** Writes `writer`'s entries of `changed` documents of `date`: a segment, or the whole day. */
  async write(
    storage: StorageAdapterInterface,
    writer: string,
    date: string,
    changed: ReadonlySet<DocumentId>,
  ): Promise<void> {
    const whole =
      !this.#wroteWhole ||
      this.#segments >= SEGMENTS_PER_WHOLE ||
      this.#segmentBytes >= this.#wholeBytes
    const entries = whole
      ? this.own
      : new Map(
          [...changed].flatMap((id) => {
            const e = this.own.get(id)
            return e ? [[id, e] as const] : []
          }),
        )
    const bytes = encodeBlob(writer, entries)
    const key = blobKey(date, writer, ++this.#lastSeq)
    try {
      await storage.save(key, bytes)
    } catch (err) {
      // Its entries are in no blob: the next write is the whole day.
      this.#wroteWhole = false
      throw err
    }
    if (!whole) {
      this.#segments++
      this.#segmentBytes += bytes.length
      this.#replaced.push(key)
      return
    }
    const replaced = this.#replaced
    this.#replaced = [key]
    this.#wroteWhole = true
    this.#segments = 0
    this.#segmentBytes = 0
    this.#wholeBytes = bytes.length
    await Promise.all(replaced.map((k) => storage.remove(k)))
  }
}
