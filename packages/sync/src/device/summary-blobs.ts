import type { DocumentId, StorageKey } from '@automerge/automerge-repo/slim'
import type { OrderDigest } from '@tabsync/core'

/*
 * How the summary cache stores its entries: blobs per writer and business day, under
 * `['tabsync-summaries', businessDate, '<writerId>.<n>']`, a writer being one SummaryCache (one
 * Device instance: two tabs of a browser are two writers on one storage) and `n` its blob's
 * number for that day: a later blob holds that writer's newer entries (summary-day.ts says which
 * blobs a writer writes). Earlier versions wrote one blob named `<writerId>`, read as number 0.
 * A report of a day reads that day's blobs with one `loadRange`; a blob that does not parse (a
 * write torn by a crash) is ignored: its entries are misses, never wrong.
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

/** The key of `writer`'s blob number `n` of `date`. */
export function blobKey(date: string, writer: string, n: number): StorageKey {
  return [...SUMMARY_BLOBS_PREFIX, date, `${writer}.${n}`]
}

/** The writer and number of a blob's key (undefined when it is not a blob's). */
export function blobWriter(key: StorageKey): { writer: string; seq: number } | undefined {
  const name = key[SUMMARY_BLOBS_PREFIX.length + 1]
  if (key.length !== SUMMARY_BLOBS_PREFIX.length + 2 || !name) return undefined
  const dot = name.lastIndexOf('.')
  if (dot < 0) return { writer: name, seq: 0 }
  const seq = Number(name.slice(dot + 1))
  return Number.isSafeInteger(seq) ? { writer: name.slice(0, dot), seq } : undefined
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
