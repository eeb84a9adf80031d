import { randomUUID } from 'node:crypto'
import type { Pool } from 'pg'
import type { Logger } from '../log.js'
import type { FenceToken } from '../storage/postgres-storage-adapter.js'
import { quoteIdent } from '../storage/postgres-schema.js'

/** Who serves a store, as the lease row says. */
export interface LeaseOwner {
  /** Node id part of the holder (`--node-id`). */
  readonly nodeId: string
  /** The owner's advertised sync URL (`--advertise`), where clients are sent. */
  readonly advertise: string
}

/** Outcome of {@link StoreLeases.acquire}. */
export type AcquireResult =
  | { readonly held: true; readonly fence: string }
  | { readonly held: false; readonly owner: LeaseOwner }

/** Options of {@link StoreLeases}. */
export interface StoreLeaseOptions {
  readonly pool: Pool
  readonly schema?: string
  readonly nodeId: string
  readonly advertise: string
  /** How long a lease lives without renewal (ms). Renewed every third of it. */
  readonly leaseMs: number
  readonly log: Logger
  /** A lease this node held is gone (expired, taken over, or unrenewable): stop serving it. */
  readonly onLost: (storeId: string) => void
  /** This node just took `storeId` (free or expired): what others wrote since must be re-read. */
  readonly onTaken?: (storeId: string) => void
  /** The lease table answered (true) or not (false) at the last renewal. */
  readonly onHealth?: (ok: boolean) => void
  /** Monotonic clock (ms) for the local deadlines; tests pass their own. */
  readonly now?: () => number
}

interface Held {
  readonly fence: string
  /** Local deadline (ms, monotonic clock) after which the lease must be taken as expired. */
  validUntil: number
}

const monotonicNow = (): number => performance.now()

/**
 * The store leases of one relay node, in PostgreSQL: a row per store (holder, advertised URL,
 * fencing number, expiry). A node takes a store's lease only when it is free or expired, which
 * bumps the fencing number; it renews what it holds every `leaseMs / 3`; every storage write for
 * a store carries its fence (see `PostgresStorageAdapter`'s `fence`) and is refused once another
 * node took over. The holder is `<nodeId>/<random>`: a restarted node with the same id is a new
 * holder, so a paused old process can never pass for it.
 *
 * The node also keeps a local deadline per lease (renewal start + `leaseMs`, on the monotonic
 * clock): when PostgreSQL does not answer a renewal in time it gives the store up by itself at
 * that deadline, before any other node can have taken it over. A late renewal beat alone does
 * not: it renews first (see {@link tick}).
 */
export class StoreLeases {
  readonly holder: string
  readonly nodeId: string
  readonly advertise: string
  readonly leaseMs: number
  readonly #pool: Pool
  readonly #table: string
  readonly #log: Logger
  readonly #onLost: (storeId: string) => void
  readonly #onHealth: (ok: boolean) => void
  readonly #onTaken: (storeId: string) => void
  readonly #now: () => number
  readonly #held = new Map<string, Held>()
  readonly #acquiring = new Map<string, Promise<AcquireResult>>()
  #timer: ReturnType<typeof setInterval> | undefined
  #renewing = false

  constructor(options: StoreLeaseOptions) {
    this.#pool = options.pool
    this.#table = `${quoteIdent(options.schema ?? 'public')}.tabsync_leases`
    this.nodeId = options.nodeId
    this.advertise = options.advertise
    this.leaseMs = options.leaseMs
    this.holder = `${options.nodeId}/${randomUUID().slice(0, 8)}`
    this.#log = options.log
    this.#onLost = options.onLost
    this.#onHealth = options.onHealth ?? (() => {})
    this.#onTaken = options.onTaken ?? (() => {})
    this.#now = options.now ?? monotonicNow
  }

  /** Starts the renewal loop. */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(), Math.max(50, this.leaseMs / 3))
    this.#timer.unref?.()
  }

  /** Store ids whose lease this node holds now. */
  heldStores(): string[] {
    return [...this.#held.keys()]
  }

  /** The fence for writes of `storeId`, or undefined when this node does not hold it. */
  fenceOf(storeId: string): FenceToken | undefined {
    const held = this.#held.get(storeId)
    // Past its local deadline a lease is being renewed (see tick): PostgreSQL, which checks every
    // write's fence and expiry, decides; the node gives it up if the renewal does not confirm it.
    if (!held) return undefined
    return { storeId, holder: this.holder, fence: held.fence }
  }

  /**
   * Holds `storeId` after this resolves with `held: true`: already held, free, or expired (then
   * taken with the next fencing number), or still this holder's in PostgreSQL after this node let
   * it go at its local deadline (taken back at once, same fencing number: nobody else held it in
   * between). Otherwise names the live owner.
   */
  acquire(storeId: string): Promise<AcquireResult> {
    if (this.fenceOf(storeId)) {
      return Promise.resolve({ held: true, fence: this.#held.get(storeId)!.fence })
    }
    let pending = this.#acquiring.get(storeId)
    if (!pending) {
      pending = this.#acquire(storeId).finally(() => this.#acquiring.delete(storeId))
      this.#acquiring.set(storeId, pending)
    }
    return pending
  }

  async #acquire(storeId: string): Promise<AcquireResult> {
    const started = this.#now()
    const taken = await this.#takeOver(storeId)
    const row = taken[0]
    if (row) {
      this.#held.set(storeId, { fence: row.fence, validUntil: started + this.leaseMs })
      this.#log.info({ storeId, fence: row.fence, holder: this.holder }, 'store lease taken')
      this.#onTaken(storeId)
      return { held: true, fence: row.fence }
    }
    const current = await this.#pool.query<{ holder: string; advertise: string }>(
      `SELECT holder, advertise FROM ${this.#table} WHERE store_id = $1`,
      [storeId],
    )
    const owner = current.rows[0]
    if (!owner) return this.#acquire(storeId) // released and gone between the two statements
    return {
      held: false,
      owner: { nodeId: owner.holder.split('/')[0] ?? owner.holder, advertise: owner.advertise },
    }
  }

  /**
   * The upsert that takes a free or expired lease (or this holder's own), in a transaction that
   * first locks the row `FOR UPDATE` (only when it looks takeable): that waits for every write transaction holding the row
   * `FOR KEY SHARE` (their fence check), so no write under the old fence commits after the
   * takeover. Returns the new fence, or no row when the lease is someone else's.
   */
  async #takeOver(storeId: string): Promise<{ fence: string }[]> {
    const client = await this.#pool.connect()
    try {
      // A live lease of another holder: nothing to take, and no reason to wait for its writes.
      const current = await client.query<{ takeable: boolean }>(
        `SELECT holder = $2 OR expires_at <= clock_timestamp() AS takeable
         FROM ${this.#table} WHERE store_id = $1`,
        [storeId, this.holder],
      )
      if (current.rows[0]?.takeable === false) return []
      await client.query('BEGIN')
      await client.query(`SELECT 1 FROM ${this.#table} WHERE store_id = $1 FOR UPDATE`, [storeId])
      const taken = await client.query<{ fence: string }>(
        `INSERT INTO ${this.#table} AS l (store_id, holder, advertise, fence, expires_at)
       VALUES ($1, $2, $3, 1, clock_timestamp() + $4 * interval '1 millisecond')
       ON CONFLICT (store_id) DO UPDATE SET holder = excluded.holder,
         advertise = excluded.advertise, expires_at = excluded.expires_at,
         fence = CASE WHEN l.holder = excluded.holder THEN l.fence ELSE l.fence + 1 END
       WHERE l.expires_at <= clock_timestamp() OR l.holder = excluded.holder
       RETURNING fence::text AS fence`,
        [storeId, this.holder, this.advertise, this.leaseMs],
      )
      await client.query('COMMIT')
      return taken.rows
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  /**
   * One beat of the renewal loop: renews, or, while the previous renewal is still unanswered,
   * gives up the leases whose local deadline passed (PostgreSQL does not answer in time: another
   * node may take them over once they expire there).
   *
   * A beat that comes late (the event loop was held up: a loaded machine, a long GC) is not a
   * reason to give anything up: it renews first and keeps what PostgreSQL renewed, which proves
   * no other node took it. Giving a store up closes every socket of its devices, and they come
   * back only after their reconnect backoff: on the bench's loaded machine late beats cost whole
   * measuring windows of fan-out.
   */
  tick(): void {
    if (this.#renewing) this.#expireLocally()
    else void this.renew()
  }

  /** Renews every held lease once; those PostgreSQL did not renew (or, failing to answer, whose
   *  local deadline passed) are lost. */
  async renew(): Promise<void> {
    if (this.#renewing) return
    this.#renewing = true
    try {
      const stores = [...this.#held.keys()]
      const started = this.#now()
      let renewed: Set<string>
      try {
        // Not `AND expires_at > clock_timestamp()`: a renewal that reached PostgreSQL after the
        // row expired (a late beat on a loaded machine) still renews it while the holder is this
        // node's, since a takeover always writes its own holder: nobody held the store in
        // between, and the writes refused meanwhile are kept. Giving it up instead closed every
        // socket of the store, even on a one-node cluster (issue 17, bench after setup). A row
        // released (`-infinity`, see releaseAll) is never renewed: a renewal in flight during a
        // graceful stop must not hold the store for another lease.
        const result = await this.#pool.query<{ store_id: string }>(
          `UPDATE ${this.#table} SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
           WHERE holder = $1 AND store_id = ANY($2::text[]) AND expires_at > '-infinity'
           RETURNING store_id`,
          [this.holder, stores, this.leaseMs],
        )
        renewed = new Set(result.rows.map((r) => r.store_id))
        this.#onHealth(true)
        const tookMs = this.#now() - started
        if (tookMs > this.leaseMs / 3) {
          // A third of the lease gone in one renewal: the node is close to losing its stores.
          const { totalCount, idleCount, waitingCount } = this.#pool
          this.#log.warn(
            {
              tookMs: Math.round(tookMs),
              stores: stores.length,
              totalCount,
              idleCount,
              waitingCount,
            },
            'store lease renewal slow',
          )
        }
      } catch (err) {
        this.#log.warn({ err }, 'store lease renewal failed (PostgreSQL unreachable?)')
        this.#onHealth(false)
        this.#expireLocally() // the others expire at their deadlines if this goes on
        return
      }
      for (const storeId of stores) {
        const held = this.#held.get(storeId)
        if (!held) continue
        if (renewed.has(storeId)) held.validUntil = started + this.leaseMs
        else this.#lose(storeId, 'taken over or expired')
      }
    } finally {
      this.#renewing = false
    }
  }

  /**
   * Gives every lease up at once (graceful stop, after the documents were flushed): the rows
   * expire now and keep their fencing numbers, so the next holder's fence is still higher.
   */
  async releaseAll(): Promise<void> {
    this.stop()
    const stores = [...this.#held.keys()]
    this.#held.clear()
    if (stores.length === 0) return
    await this.#pool.query(
      `UPDATE ${this.#table} SET expires_at = '-infinity'
       WHERE holder = $1 AND store_id = ANY($2::text[])`,
      [this.holder, stores],
    )
  }

  /**
   * Stops serving `storeId` now (a write of it was refused: PostgreSQL names another holder, or
   * the lease expired there). Its devices reconnect and are admitted by whoever holds it.
   */
  giveUp(storeId: string, why: string): void {
    this.#lose(storeId, why)
  }

  /** Stops renewing (leases then run out by themselves). */
  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #expireLocally(): void {
    const t = this.#now()
    for (const [storeId, held] of [...this.#held]) {
      if (held.validUntil <= t) this.#lose(storeId, 'not renewed in time')
    }
  }

  #lose(storeId: string, why: string): void {
    if (!this.#held.delete(storeId)) return
    this.#log.warn({ storeId, holder: this.holder, why }, 'store lease lost')
    this.#onLost(storeId)
  }
}
