import type { StorageKey } from '@automerge/automerge-repo'
import pg from 'pg'
import type { WebSocket } from 'ws'
import { RELAY_KEY_PREFIX, storesOfRecord, type OwnershipRegistry } from '../access/ownership.js'
import { CloseCode } from '@tabsync/protocol'
import type { RelayMetrics } from '../http/metrics.js'
import type { Logger } from '../log.js'
import { ensurePostgresSchema } from '../storage/postgres-schema.js'
import { PostgresStorageAdapter, type FenceToken } from '../storage/postgres-storage-adapter.js'
import { StoreLeases, type LeaseOwner } from './store-leases.js'

/** Default lease lifetime: a dead node's stores move after at most this long. */
export const DEFAULT_LEASE_MS = 10_000

/** Cluster options of `startRelay` (`--postgres`, `--node-id`, `--advertise`). */
export interface ClusterOptions {
  /** PostgreSQL connection string shared by every node. */
  readonly postgres: string
  /** This node's id, unique in the cluster (logs, lease rows). */
  readonly nodeId: string
  /** The sync URL clients of other nodes are sent to, e.g. `ws://10.0.0.5:8787/sync`. */
  readonly advertise: string
  /** Lease lifetime (ms). Default 10 s. */
  readonly leaseMs?: number
  /** Schema of the tables. Default `public`. */
  readonly schema?: string
  /**
   * Diagnostic: record every write transaction's store, holder and fencing number in
   * `tabsync_write_audit` (env `TABSYNC_WRITE_AUDIT=1` for `serve`). Default false.
   */
  readonly writeAudit?: boolean
}

/** Where an arriving client goes (see {@link ClusterNode.admit}). */
export type Admission =
  | { readonly kind: 'serve' }
  | { readonly kind: 'redirect'; readonly owner: LeaseOwner }
  | { readonly kind: 'unavailable'; readonly reason: string }

/** What a cluster node does when it takes a store (back) over: refresh its loaded documents. */
export interface TakenStoreHandler {
  (storeId: string): void
}

/**
 * One relay node of a cluster sharing PostgreSQL: the storage adapter (fenced by store leases),
 * the leases, admission of clients (serve, or send them to the owner) and the sockets to close
 * when a store is lost. Everything a node needs to serve a store is in PostgreSQL, so any node
 * can take over any store.
 */
export class ClusterNode {
  readonly storage: PostgresStorageAdapter
  readonly leases: StoreLeases
  readonly #pool: pg.Pool
  readonly #schema: string
  readonly #log: Logger
  readonly #sockets = new Map<WebSocket, readonly string[]>()
  #registry: OwnershipRegistry | undefined
  #onTaken: TakenStoreHandler = () => {}
  #healthy = true

  constructor(options: ClusterOptions, log: Logger) {
    this.#log = log
    this.#schema = options.schema ?? 'public'
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
    this.#pool = new pg.Pool({
      connectionString: options.postgres,
      max: 10,
      // Bounded, so a partitioned database fails calls instead of hanging them; generous, because
      // the wait for a free pool client counts too and a loaded node must not fail its loads
      // (lease safety does not depend on these: every write checks the lease in PostgreSQL, and
      // a node gives its stores up at its local deadline).
      connectionTimeoutMillis: 10_000,
      query_timeout: 30_000,
    })
    // An idle client dropped by the server (restart) must not crash the relay.
    this.#pool.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost'))
    // A checked-out client whose server goes away emits 'error' on itself too; without a listener
    // that is an uncaught exception (seen: PostgreSQL restarted under traffic killed a node).
    this.#pool.on('connect', (client) =>
      client.on('error', (err) => log.warn({ err: err.message }, 'PostgreSQL client error')),
    )
    this.storage = new PostgresStorageAdapter(this.#pool, {
      schema: this.#schema,
      fence: (key) => this.#fenceFor(key),
      audit: options.writeAudit ?? false,
    })
    this.leases = new StoreLeases({
      pool: this.#pool,
      schema: this.#schema,
      nodeId: options.nodeId,
      advertise: options.advertise,
      leaseMs,
      log,
      onLost: (storeId) => this.#lost(storeId),
      onTaken: (storeId) => {
        this.#registry?.forgetAbsent()
        this.#onTaken(storeId)
      },
      onHealth: (ok) => (this.#healthy = ok),
    })
  }

  /** Creates the tables if needed and starts renewing leases. */
  async start(registry: OwnershipRegistry, onTaken: TakenStoreHandler): Promise<void> {
    this.#registry = registry
    this.#onTaken = onTaken
    await ensurePostgresSchema(this.#pool, this.#schema)
    this.leases.start()
  }

  /** Registers the cluster gauges: leases held, PostgreSQL reachable. */
  registerMetrics(metrics: RelayMetrics): void {
    metrics.gauge(
      'tabsync_relay_store_leases',
      'Stores this cluster node serves (leases held).',
      () => [[{}, this.leases.heldStores().length]],
    )
    metrics.gauge(
      'tabsync_relay_postgres_up',
      '1 while PostgreSQL answered the last lease renewal.',
      () => [[{}, this.#healthy ? 1 : 0]],
    )
  }

  /** False while PostgreSQL does not answer the lease renewals (`/readyz` says 503). */
  get ready(): boolean {
    return this.#healthy
  }

  /**
   * Serve a client of `storeIds` here (this node holds, or just took, every one of their leases),
   * or send it to the node that holds one of them. A multi-store token (hub, back office) needs
   * all of its stores on one node; it is sent to the owner of the first store held elsewhere.
   */
  async admit(storeIds: readonly string[]): Promise<Admission> {
    try {
      for (const storeId of storeIds) {
        const result = await this.leases.acquire(storeId)
        if (!result.held) {
          if (result.owner.advertise === this.leases.advertise) {
            // Our own previous incarnation (same advertised URL) still holds it: wait it out.
            return { kind: 'unavailable', reason: 'lease-held-by-previous-process' }
          }
          return { kind: 'redirect', owner: result.owner }
        }
      }
      return { kind: 'serve' }
    } catch (err) {
      this.#log.warn({ err, storeIds }, 'store lease lookup failed')
      return { kind: 'unavailable', reason: 'postgres-unreachable' }
    }
  }

  /** May a write of `key` go to PostgreSQL now: this node holds every lease it is fenced by. */
  mayWrite(key: StorageKey): boolean {
    return this.#fenceFor(key).every((f) => this.leases.fenceOf(f.storeId) !== undefined)
  }

  /**
   * A write of `key` was refused for its fence: this node is not the holder any more, whatever
   * its local deadline says (paused, or its clock ran slow). Give those stores up at once, so
   * their devices reconnect and are sent to (or, if the lease is free, taken by) the holder.
   */
  writeRefused(key: StorageKey): void {
    for (const { storeId } of this.#fenceFor(key))
      this.leases.giveUp(storeId, 'a write was refused')
  }

  /** Closes `socket` when one of `storeIds` is lost by this node. */
  track(socket: WebSocket, storeIds: readonly string[]): void {
    this.#sockets.set(socket, storeIds)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  /** Gives every lease up (after the documents were flushed) and closes the pool. */
  async close(): Promise<void> {
    try {
      await this.storage.settled()
      await this.leases.releaseAll()
    } catch (err) {
      this.#log.warn({ err }, 'could not release store leases (they expire by themselves)')
    } finally {
      this.leases.stop()
      await this.#pool.end()
    }
  }

  #lost(storeId: string): void {
    for (const [socket, storeIds] of [...this.#sockets]) {
      if (!storeIds.includes(storeId)) continue
      this.#sockets.delete(socket)
      // Retryable: the device reconnects (with backoff) and is admitted by whoever serves it now.
      socket.close(CloseCode.goingAway, 'store-moved')
    }
  }

  /**
   * The leases a write of `key` depends on. Documents: their owner store (or, while only
   * claimed, every candidate store). The relay's own records: the store they index. Keys with no
   * known store (the repo's storage id, sync state of a document nobody owns) are unfenced:
   * they carry no store's content.
   */
  #fenceFor(key: StorageKey): readonly FenceToken[] {
    const [first, kind, third] = key
    let stores: readonly string[] = []
    if (first === RELAY_KEY_PREFIX) {
      if (kind === 'store-docs' && third !== undefined) stores = [third]
      else if (kind === 'owner' && third !== undefined) stores = this.#storesOf(third)
    } else if (first !== undefined && key.length > 1) {
      stores = this.#storesOf(first)
    }
    return stores.map(
      // Not held: a fence no lease row has (they start at 1), so the write is refused.
      (storeId) =>
        this.leases.fenceOf(storeId) ?? { storeId, holder: this.leases.holder, fence: '0' },
    )
  }

  #storesOf(documentId: string): readonly string[] {
    return storesOfRecord(this.#registry?.peek(documentId))
  }
}
