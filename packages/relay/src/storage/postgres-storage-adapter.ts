import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import type { Pool, PoolClient } from 'pg'
import { RelayError, RelayErrorKind } from '../errors.js'
import { quoteIdent } from './postgres-schema.js'

/** Separates key parts in the `key` column (U+001F, unit separator: never in an id). */
const SEP = '\u001f'
/** The code point right after {@link SEP}: `[prefix SEP, prefix NEXT)` is every key below prefix. */
const NEXT = '\u0020'

/**
 * A store lease a write depends on: the write happens only if `holder` still holds the lease of
 * `storeId` with fencing number `fence`, unexpired, checked in the write's own transaction.
 */
export interface FenceToken {
  readonly storeId: string
  readonly holder: string
  readonly fence: string
}

/** Options of {@link PostgresStorageAdapter}. */
export interface PostgresStorageOptions {
  /** Schema holding the tables (created by `ensurePostgresSchema`). Default `public`. */
  readonly schema?: string
  /**
   * The leases a write of `key` depends on (cluster mode). Empty: unfenced. A write whose leases
   * are not all held fails with `RelayError{kind:'storage', reason:'lease-lost'}`; the other
   * writes of its batch still commit.
   */
  readonly fence?: (key: StorageKey) => readonly FenceToken[]
  /**
   * Diagnostic: record, in the same transaction, which holder wrote for which store under which
   * fencing number (`tabsync_write_audit`). Off by default (one more insert per transaction).
   */
  readonly audit?: boolean
}

type Op =
  | { readonly type: 'save'; readonly key: string; readonly data: Uint8Array }
  | { readonly type: 'remove'; readonly key: string }
  | { readonly type: 'removeRange'; readonly prefix: string }

interface Queued {
  readonly op: Op
  readonly fences: readonly FenceToken[]
  resolve(): void
  reject(e: unknown): void
}

/**
 * automerge-repo storage over PostgreSQL (node-postgres), for relay nodes that share one
 * database.
 *
 * Writes are batched: every save/remove issued while the previous batch is in flight goes into
 * the next one, one transaction, one `INSERT ... ON CONFLICT DO UPDATE` for all its chunks (group
 * commit: under load a relay writes once per round trip, not once per chunk). Within a batch the
 * last operation on a key wins, in issue order, which is what sequential calls would have done.
 *
 * Several writers are safe: automerge-repo's chunk keys are content-addressed (a hash of the
 * changes or heads they hold), so two nodes saving the same document write either different keys
 * or the same bytes under the same key, and an upsert never loses a chunk another node wrote.
 * With `fence`, each write also checks its store's lease row in the same transaction, locked
 * `FOR KEY SHARE`: a node taking the lease over locks the row `FOR UPDATE` first, so it waits for
 * the write, and a write that comes later re-checks after the takeover; a node that lost its lease
 * can no longer write for that store. The weakest lock that does this: a lease *renewal* (an
 * UPDATE of `expires_at` alone) does not wait for writes. With `FOR SHARE` it did, and on a loaded
 * machine (a write transaction is several round trips, each waiting for the node's event loop) a
 * node's renewals queued behind its own writes for seconds until its leases ran out locally.
 */
export class PostgresStorageAdapter implements StorageAdapterInterface {
  readonly #pool: Pool
  readonly #chunks: string
  readonly #leases: string
  readonly #fence: (key: StorageKey) => readonly FenceToken[]
  readonly #audit: string | undefined
  #queue: Queued[] = []
  #flushing: Promise<void> | undefined

  constructor(pool: Pool, options: PostgresStorageOptions = {}) {
    this.#pool = pool
    const schema = quoteIdent(options.schema ?? 'public')
    this.#chunks = `${schema}.tabsync_chunks`
    this.#leases = `${schema}.tabsync_leases`
    this.#fence = options.fence ?? (() => [])
    this.#audit = options.audit ? `${schema}.tabsync_write_audit` : undefined
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const result = await this.#pool.query<{ data: Buffer }>(
      `SELECT data FROM ${this.#chunks} WHERE key = $1`,
      [encodeKey(key)],
    )
    const row = result.rows[0]
    return row ? toBytes(row.data) : undefined
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const result =
      keyPrefix.length === 0
        ? await this.#pool.query<{ key: string; data: Buffer }>(
            `SELECT key, data FROM ${this.#chunks} ORDER BY seq`,
          )
        : await this.#pool.query<{ key: string; data: Buffer }>(
            `SELECT key, data FROM ${this.#chunks}
             WHERE key = $1 OR (key >= $1 || '${SEP}' AND key < $1 || '${NEXT}') ORDER BY seq`,
            [encodeKey(keyPrefix)],
          )
    return result.rows.map((r) => ({ key: r.key.split(SEP), data: toBytes(r.data) }))
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.#enqueue(() => ({ type: 'save', key: encodeKey(key), data }), key)
  }

  remove(key: StorageKey): Promise<void> {
    return this.#enqueue(() => ({ type: 'remove', key: encodeKey(key) }), key)
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#enqueue(
      () => ({ type: 'removeRange', prefix: keyPrefix.length === 0 ? '' : encodeKey(keyPrefix) }),
      keyPrefix,
    )
  }

  /** Resolves once every write issued so far is committed or failed. */
  async settled(): Promise<void> {
    while (this.#flushing) await this.#flushing
  }

  #enqueue(makeOp: () => Op, key: StorageKey): Promise<void> {
    // Thrown inside the executor, a bad key becomes this call's rejection.
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ op: makeOp(), fences: this.#fence(key), resolve, reject })
      // Start a batch now if none is in flight; otherwise the running one picks this up next.
      this.#flushing ??= this.#drain()
    })
  }

  async #drain(): Promise<void> {
    try {
      // Let the rest of this turn's writes join the first batch.
      await new Promise<void>((r) => setImmediate(r))
      while (this.#queue.length > 0) {
        const batch = this.#queue
        this.#queue = []
        await this.#commit(batch)
      }
    } finally {
      this.#flushing = undefined
    }
  }

  async #commit(batch: Queued[]): Promise<void> {
    let client: PoolClient | undefined
    try {
      client = await this.#pool.connect()
      await client.query('BEGIN')
      const refused = await this.#checkFences(client, batch)
      const accepted = batch.filter((q) => !refused.has(q))
      const { upserts, removes, rangeRemoves } = collapse(accepted.map((q) => q.op))
      for (const prefix of rangeRemoves) {
        if (prefix === '') await client.query(`DELETE FROM ${this.#chunks}`)
        else {
          await client.query(
            `DELETE FROM ${this.#chunks}
             WHERE key = $1 OR (key >= $1 || '${SEP}' AND key < $1 || '${NEXT}')`,
            [prefix],
          )
        }
      }
      if (removes.length > 0) {
        await client.query(`DELETE FROM ${this.#chunks} WHERE key = ANY($1::text[])`, [removes])
      }
      if (upserts.size > 0) {
        await client.query(
          `INSERT INTO ${this.#chunks} (key, data)
           SELECT * FROM unnest($1::text[], $2::bytea[])
           ON CONFLICT (key) DO UPDATE SET data = excluded.data, seq = excluded.seq`,
          [[...upserts.keys()], [...upserts.values()].map((d) => Buffer.from(d))],
        )
      }
      if (this.#audit !== undefined) await this.#recordWrites(client, accepted)
      await client.query('COMMIT')
      for (const q of batch) {
        if (refused.has(q)) {
          q.reject(
            new RelayError(
              RelayErrorKind.storage,
              'lease-lost',
              `Write refused: this node no longer holds the lease of store ${q.fences.map((f) => f.storeId).join(', ')}`,
            ),
          )
        } else q.resolve()
      }
    } catch (e) {
      await client?.query('ROLLBACK').catch(() => {})
      const error = new RelayError(RelayErrorKind.storage, 'postgres', 'PostgreSQL write failed', {
        cause: e,
      })
      for (const q of batch) q.reject(error)
    } finally {
      client?.release()
    }
  }

  /**
   * One audit row per (store, holder, fence) of the accepted writes. Inserted while the lease
   * rows are locked `FOR KEY SHARE`, so a takeover (which locks the row `FOR UPDATE` first)
   * commits after it: for one store, ids follow the order in which holders wrote.
   */
  async #recordWrites(client: PoolClient, accepted: readonly Queued[]): Promise<void> {
    const counts = new Map<string, { token: FenceToken; writes: number }>()
    for (const q of accepted) {
      for (const f of q.fences) {
        const entry = counts.get(fenceKey(f)) ?? { token: f, writes: 0 }
        entry.writes += 1
        counts.set(fenceKey(f), entry)
      }
    }
    if (counts.size === 0) return
    const rows = [...counts.values()]
    await client.query(
      `INSERT INTO ${this.#audit!} (store_id, holder, fence, writes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[])`,
      [
        rows.map((r) => r.token.storeId),
        rows.map((r) => r.token.holder),
        rows.map((r) => r.token.fence),
        rows.map((r) => r.writes),
      ],
    )
  }

  /** The queued writes whose leases are not (all) held right now; the rest stay locked. */
  async #checkFences(client: PoolClient, batch: Queued[]): Promise<Set<Queued>> {
    const tokens = new Map<string, FenceToken>()
    for (const q of batch) for (const f of q.fences) tokens.set(fenceKey(f), f)
    const refused = new Set<Queued>()
    if (tokens.size === 0) return refused
    const list = [...tokens.values()]
    const held = await client.query<{ store_id: string; holder: string; fence: string }>(
      `SELECT store_id, holder, fence::text AS fence FROM ${this.#leases}
       WHERE (store_id, holder, fence) IN (
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]))
       AND expires_at > clock_timestamp()
       FOR KEY SHARE`,
      [list.map((f) => f.storeId), list.map((f) => f.holder), list.map((f) => f.fence)],
    )
    const ok = new Set(held.rows.map((r) => fenceKey({ storeId: r.store_id, ...r })))
    for (const q of batch) if (q.fences.some((f) => !ok.has(fenceKey(f)))) refused.add(q)
    return refused
  }
}

function fenceKey(f: FenceToken): string {
  return `${f.storeId}${SEP}${f.holder}${SEP}${f.fence}`
}

/** Final effect of a sequence of operations, as three statements to run in this order. */
function collapse(ops: readonly Op[]): {
  rangeRemoves: string[]
  removes: string[]
  upserts: Map<string, Uint8Array>
} {
  const rangeRemoves: string[] = []
  const last = new Map<string, Uint8Array | null>()
  for (const op of ops) {
    if (op.type === 'save') last.set(op.key, op.data)
    else if (op.type === 'remove') last.set(op.key, null)
    else {
      // A range removal erases earlier writes below it; later ones survive it (they run after).
      rangeRemoves.push(op.prefix)
      for (const key of [...last.keys()]) {
        if (op.prefix === '' || key === op.prefix || key.startsWith(op.prefix + SEP)) {
          last.delete(key)
        }
      }
    }
  }
  const removes: string[] = []
  const upserts = new Map<string, Uint8Array>()
  for (const [key, data] of last) {
    if (data === null) removes.push(key)
    else upserts.set(key, data)
  }
  return { rangeRemoves, removes, upserts }
}

function encodeKey(key: StorageKey): string {
  for (const part of key) {
    if (
      typeof part !== 'string' ||
      part.length === 0 ||
      part.includes('\u0000') ||
      part.includes(SEP)
    ) {
      throw new RelayError(
        RelayErrorKind.invalidInput,
        'invalid-storage-key',
        `Invalid storage key part: ${JSON.stringify(part)}`,
      )
    }
  }
  return key.join(SEP)
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
