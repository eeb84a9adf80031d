import type {
  DocumentId,
  Repo,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'
import type { OrderRef } from '@tabsync/core'
import { fingerprintOfKeys, isContentKey } from '../docs/chunk-fingerprint.js'
import type { ReadSource } from '../docs/stored-doc.js'
import type { Logger } from '../log/logger.js'
import { listDocumentKeys } from '../storage/key-listing.js'

/*
 * The last check of each table document of a store on table-days, per business day. A report, a
 * loadDay or dayDigests of such a day asks every table document for the references a till of
 * the previous version filed there (table-day-reads.ts, `later`). Once the store opted in, those
 * documents are retired and rarely change, but they keep every reference of the legacy period:
 * reading them on every read costs a load of a document that grows with the store's past, for
 * nothing. So a check records what it read: the table's heads and stored chunks (the names of
 * its content chunks, each standing for one content: chunk-fingerprint.ts), whether it was
 * retired, and the day's references it held. A later read of the day uses the record while the
 * table is exactly that: loaded at those heads, or stored as exactly those chunks (listed
 * without their bytes: key-listing.ts). A table whose heads moved (a reference an older till
 * filed after the check, merged in) has other heads and a new chunk: it is read again.
 *
 * Kept in the device's storage (the prefix is not a document: nothing syncs it), one blob per
 * day, so a device started again skips them too. Two writers (two tabs) may overwrite each
 * other's blob: a record lost is a read, never a wrong answer, since a record only states what
 * exactly those heads or chunks hold.
 */

/** Storage prefix of the records: `[prefix, businessDate]`, one JSON blob per day. */
export const LEGACY_CHECKS_PREFIX: StorageKey = ['tabsync-legacy-tables']

/** What a table document held for a day when it was last read. */
export interface LegacyCheck {
  /** Its heads then (base58, sorted). */
  readonly heads: readonly string[]
  /** Its stored content chunks then (sorted); absent when it was read from memory. */
  readonly chunks?: readonly string[]
  /** True when it was retired (tills of the previous version refuse to write it). */
  readonly retired: boolean
  /** Every reference of the day it held (those copied into table-days included). */
  readonly refs: readonly OrderRef[]
}

/** A table document just read for a day: what {@link LegacyChecks.record} keeps of it. */
export interface LegacyRead {
  readonly id: DocumentId
  readonly source: ReadSource
  readonly retired: boolean
  readonly refs: OrderRef[]
}

interface StoredChecks {
  readonly v: 1
  readonly tables: Record<string, LegacyCheck>
}

/** Counters for tests and the bench. */
export interface LegacyCheckStats {
  /** Table documents read (loaded from storage or read from memory) for their references. */
  read: number
  /** Table documents skipped: unchanged since their last check. */
  skipped: number
}

export class LegacyChecks {
  readonly #storage: StorageAdapterInterface
  readonly #repo: Repo
  readonly #logger: Logger
  readonly #days = new Map<string, Promise<Map<DocumentId, LegacyCheck>>>()
  readonly stats: LegacyCheckStats = { read: 0, skipped: 0 }

  constructor(storage: StorageAdapterInterface, repo: Repo, logger: Logger) {
    this.#storage = storage
    this.#repo = repo
    this.#logger = logger
  }

  /**
   * Of the table documents `ids`, the checks of `date` that still hold (the table is loaded at
   * the checked heads, or stored as exactly the checked chunks), and the ids with no content
   * stored here nor loaded (to fetch before reading them; all unloaded ones when the listing
   * failed). Never rejects: what cannot be checked is read.
   */
  async unchanged(
    ids: readonly DocumentId[],
    date: string,
  ): Promise<{ valid: Map<DocumentId, LegacyCheck>; absent: DocumentId[] }> {
    const valid = new Map<DocumentId, LegacyCheck>()
    const absent: DocumentId[] = []
    const day = await this.#day(date)
    const unloaded: DocumentId[] = []
    for (const id of ids) {
      const handle = this.#repo.handles[id]
      if (handle?.isReady() && handle.heads().length > 0) {
        const check = day.get(id)
        if (check && sameList(check.heads, sorted(handle.heads()))) valid.set(id, check)
      } else unloaded.push(id)
    }
    if (unloaded.length === 0) return { valid, absent }
    let listed: Map<string, StorageKey[]>
    try {
      listed = await listDocumentKeys(this.#storage, unloaded, this.#logger)
    } catch (err) {
      // Handed to the fetch as if absent: it asks only for those not stored (catch-up.ts).
      this.#logger.warn({ err, date }, 'table documents not listed; read instead')
      return { valid, absent: unloaded }
    }
    await Promise.all(
      unloaded.map(async (id) => {
        const keys = (listed.get(id) ?? []).filter(isContentKey)
        if (keys.length === 0) return void absent.push(id)
        const check = day.get(id)
        if (!check?.chunks) return
        const chunks = await fingerprintOfKeys(this.#storage, keys).catch(() => undefined)
        if (chunks && sameList(check.chunks, chunks)) valid.set(id, check)
      }),
    )
    return { valid, absent }
  }

  /** Records what tables read for `date` held (then written to storage; logged, never thrown). */
  async record(date: string, read: readonly LegacyRead[]): Promise<void> {
    if (read.length === 0) return
    const day = await this.#day(date)
    for (const { id, source, retired, refs } of read) {
      day.set(id, {
        heads: sorted(source.heads),
        ...(source.from === 'storage' ? { chunks: source.chunks } : {}),
        retired,
        refs,
      })
    }
    const blob: StoredChecks = { v: 1, tables: Object.fromEntries(day) }
    try {
      await this.#storage.save(
        [...LEGACY_CHECKS_PREFIX, date],
        new TextEncoder().encode(JSON.stringify(blob)),
      )
    } catch (err) {
      this.#logger.warn({ err, date }, 'legacy table checks not written; read again next time')
    }
  }

  #day(date: string): Promise<Map<DocumentId, LegacyCheck>> {
    let day = this.#days.get(date)
    if (!day) {
      day = this.#readDay(date)
      this.#days.set(date, day)
    }
    return day
  }

  async #readDay(date: string): Promise<Map<DocumentId, LegacyCheck>> {
    try {
      const bytes = await this.#storage.load([...LEGACY_CHECKS_PREFIX, date])
      if (!bytes) return new Map()
      const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<StoredChecks>
      if (value.v !== 1 || typeof value.tables !== 'object' || value.tables === null) {
        this.#logger.warn({ date }, 'unreadable legacy table checks ignored')
        return new Map()
      }
      const out = new Map<DocumentId, LegacyCheck>()
      for (const [id, check] of Object.entries(value.tables)) {
        if (isCheck(check)) out.set(id as DocumentId, check)
      }
      return out
    } catch (err) {
      // A torn write or unreadable storage: every table is read, as with no record.
      this.#logger.warn({ err, date }, 'legacy table checks not read')
      return new Map()
    }
  }
}

function isCheck(value: unknown): value is LegacyCheck {
  const c = value as Partial<LegacyCheck> | null
  return (
    c !== null &&
    typeof c === 'object' &&
    Array.isArray(c.heads) &&
    (c.chunks === undefined || Array.isArray(c.chunks)) &&
    typeof c.retired === 'boolean' &&
    Array.isArray(c.refs)
  )
}

function sorted(list: readonly string[]): string[] {
  return [...list].sort()
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
