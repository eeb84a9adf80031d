import type { DocumentId, StorageKey } from '@automerge/automerge-repo/slim'
import type { OrderDigest } from '@tabsync/core'

/*
 * How the summary cache stores its entries: one blob per writer and business day, under
 * `['tabsync-summaries', businessDate, writerId]`, a writer being one SummaryCache (one Device
 * instance: two tabs of a browser are two writers on one storage). A report of a day reads that
 * day's blobs with one `loadRange`. Each writer rewrites only its own blob, whole; a blob that
 * does not parse (a write torn by a crash) is ignored: its entries are misses, never wrong.
 */

/** Storage prefix of the per-writer, per-day blobs. */
export const SUMMARY_BLOBS_PREFIX: StorageKey = ['tabsync-summaries']

/** One cached digest: the digest of the document stored as exactly these chunks. */
export interface SummaryEntry {
  /** The document's content chunks (chunk-fingerprint.ts), sorted. */
  readonly chunks: readonly string[]
  readonly digest: OrderDigest
}

/** A writer's entries of one business day. */
export type DayEntries = Map<DocumentId, SummaryEntry>

interface StoredBlob {
  readonly v: 2
  readonly writer: string
  readonly entries: readonly [string, readonly string[], OrderDigest][]
}

/** The key of `writer`'s blob of `date`. */
export function blobKey(date: string, writer: string): StorageKey {
  return [...SUMMARY_BLOBS_PREFIX, date, writer]
}

/** The prefix of every writer's blob of `date`. */
export function dayPrefix(date: string): StorageKey {
  return [...SUMMARY_BLOBS_PREFIX, date]
}

export function encodeBlob(writer: string, entries: DayEntries): Uint8Array {
  const blob: StoredBlob = {
    v: 2,
    writer,
    entries: [...entries].map(([id, e]) => [id, e.chunks, e.digest]),
  }
  return new TextEncoder().encode(JSON.stringify(blob))
}

/** The entries of a stored blob, or undefined when it is not one (torn, other version). */
export function parseBlob(bytes: Uint8Array): DayEntries | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<StoredBlob>
    if (value.v !== 2 || !Array.isArray(value.entries)) return undefined
    const out: DayEntries = new Map()
    for (const e of value.entries) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) return undefined
      if (e[2] === null || typeof e[2] !== 'object') return undefined
      out.set(e[0] as DocumentId, { chunks: e[1], digest: e[2] })
    }
    return out
  } catch {
    return undefined
  }
}
