import * as A from '@automerge/automerge'
import type { StorageAdapterInterface } from '@automerge/automerge-repo'
import { z } from 'zod'
import type { Logger } from '../log.js'
import type { Principal } from './principal.js'

/** Key prefix of the relay's own records in the repo's storage adapter (never a document id:
 *  `-` is not in the base58 alphabet of automerge document ids). */
export const RELAY_KEY_PREFIX = 'tabsync-relay'

/**
 * - `claimed`: content was introduced by a peer; the owner is one of `candidates` (the
 *   introducer's stores) once the document's root `storeId` is readable.
 * - `owned`: belongs to `storeId`.
 * - `quarantined`: the root `storeId` was not one of the introducer's stores. Nobody may read or
 *   write it; its data stays in storage for inspection.
 */
export type OwnershipState = 'claimed' | 'owned' | 'quarantined'

const recordSchema = z.object({
  v: z.literal(1),
  documentId: z.string(),
  state: z.enum(['claimed', 'owned', 'quarantined']),
  storeId: z.string().optional(),
  candidates: z.array(z.string()),
  introducer: z.string(),
  at: z.number(),
})

/** A persisted ownership record, keyed by document id. */
export type OwnershipRecord = z.infer<typeof recordSchema>

/**
 * The stores whose lease or storage a document's writes depend on: its owner store, or while
 * only claimed, every candidate. A quarantined document's `storeId` is a store its introducer did
 * not have: it counts as the introducer's stores, whose node keeps it. Empty: no record.
 */
export function storesOfRecord(record: OwnershipRecord | null | undefined): readonly string[] {
  if (!record) return []
  if (record.state === 'owned' && record.storeId !== undefined) return [record.storeId]
  return record.candidates
}

/** Why access was refused (the `reason` label of the denial metric). */
export type DenialReason = 'other-store' | 'quarantined' | 'unowned-content' | 'storage-error'

/** Outcome of {@link OwnershipRegistry.authorizeInbound}. */
export type AccessDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: DenialReason }

/** Options of {@link OwnershipRegistry}. */
export interface OwnershipOptions {
  readonly log: Logger
  /** Records kept in memory beyond those of loaded documents. */
  readonly cacheSize?: number
  /** True while the repo holds the document in memory (its record is then never evicted). */
  readonly isLoaded?: (documentId: string) => boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Which store owns which document. A document belongs to the store of the first authenticated
 * peer that brings content for it, and its root `storeId` must be one of that peer's stores
 * (checked once the content is readable). Records are persisted through the same storage adapter
 * as the documents, under `[RELAY_KEY_PREFIX, 'owner', documentId]`, with an index per store
 * under `[RELAY_KEY_PREFIX, 'store-docs', storeId, documentId]`. The in-memory map is only a
 * cache of storage: a second relay node sharing the storage rebuilds the same answers.
 */
export class OwnershipRegistry {
  readonly #storage: StorageAdapterInterface
  readonly #log: Logger
  readonly #cacheSize: number
  readonly #isLoaded: (documentId: string) => boolean
  /** documentId -> record, or null when storage has none. Insertion order = LRU order. */
  readonly #cache = new Map<string, OwnershipRecord | null>()
  readonly #loading = new Map<string, Promise<OwnershipRecord | null>>()
  readonly #claiming = new Map<string, Promise<OwnershipRecord>>()
  readonly #writes = new Set<Promise<void>>()
  #version = 0

  constructor(storage: StorageAdapterInterface, options: OwnershipOptions) {
    this.#storage = storage
    this.#log = options.log
    this.#cacheSize = options.cacheSize ?? 50_000
    this.#isLoaded = options.isLoaded ?? (() => false)
  }

  /** The record of a document: from the cache, else from storage (`null`: none). */
  async lookup(documentId: string): Promise<OwnershipRecord | null> {
    const cached = this.#cache.get(documentId)
    if (cached !== undefined) {
      this.#touch(documentId, cached)
      return cached
    }
    let loading = this.#loading.get(documentId)
    if (!loading) {
      loading = this.#load(documentId).finally(() => this.#loading.delete(documentId))
      this.#loading.set(documentId, loading)
    }
    return loading
  }

  /** Cached record only: `undefined` when not in memory (callers then fail closed). */
  peek(documentId: string): OwnershipRecord | null | undefined {
    return this.#cache.get(documentId)
  }

  /**
   * Decides whether an inbound message from `principal` about `documentId` may reach the repo.
   * `carriesChanges`: the message brings content; `mayClaim` false for ephemeral messages (they
   * carry data but not document content). Content for a document nobody owns yet claims
   * it for the sender's stores (persisted before the message is let through, so a crash cannot
   * leave content without an owner).
   */
  async authorizeInbound(
    principal: Principal,
    documentId: string,
    carriesChanges: boolean,
    mayClaim = true,
  ): Promise<AccessDecision> {
    try {
      let record = await this.lookup(documentId)
      if (record === null) {
        // Nothing stored, nothing to leak: requests and heads-only messages pass unrecorded.
        if (!carriesChanges) return { allowed: true }
        // Ephemeral data about a document nobody brought yet claims nothing.
        if (!mayClaim) return { allowed: false, reason: 'unowned-content' }
        record = await this.#claim(principal, documentId)
      }
      const reason = this.#denialReason(principal, record)
      return reason === undefined ? { allowed: true } : { allowed: false, reason }
    } catch (err) {
      this.#log.error({ err, documentId, peerId: principal.peerId }, 'ownership lookup failed')
      return { allowed: false, reason: 'storage-error' }
    }
  }

  /**
   * Synchronous access check from the cache, for the repo's share config and for outbound
   * frames. A document with no record may be talked about, but only without content (the relay
   * holds none of it); an uncached record is refused.
   */
  mayAccess(principal: Principal, documentId: string, carriesContent: boolean): boolean {
    const record = this.#cache.get(documentId)
    if (record === undefined) return false
    if (record === null) return !carriesContent
    return this.#denialReason(principal, record) === undefined
  }

  /**
   * Settles a `claimed` document once its root `storeId` is readable: `owned` when it is one of
   * the introducer's stores, `quarantined` otherwise. Returns the new record when it changed.
   */
  resolve(documentId: string, doc: unknown): OwnershipRecord | undefined {
    const record = this.#cache.get(documentId)
    if (!record || record.state !== 'claimed') return undefined
    const storeId = readStoreId(doc)
    if (storeId === undefined) return undefined
    const next: OwnershipRecord = record.candidates.includes(storeId)
      ? { ...record, state: 'owned', storeId, at: Date.now() }
      : { ...record, state: 'quarantined', storeId, at: Date.now() }
    this.#cache.set(documentId, next)
    this.#version += 1
    this.#persist(next)
    if (next.state === 'owned') {
      this.#track(
        this.#storage.save(
          [RELAY_KEY_PREFIX, 'store-docs', storeId, documentId],
          encoder.encode(String(next.at)),
        ),
      )
      this.#log.info({ documentId, storeId, introducer: record.introducer }, 'document owned')
    } else {
      this.#log.warn(
        { documentId, storeId, candidates: record.candidates, introducer: record.introducer },
        'document quarantined: its storeId is not a store of the peer that introduced it',
      )
    }
    return next
  }

  /** Whether `principal` may read a document's content (its record names one of its stores). */
  async mayRead(principal: Principal, documentId: string): Promise<boolean> {
    const record = await this.lookup(documentId)
    return record !== null && this.#denialReason(principal, record) === undefined
  }

  /** Document ids owned by a store (from the persisted index). */
  async documentsOfStore(storeId: string): Promise<string[]> {
    const chunks = await this.#storage.loadRange([RELAY_KEY_PREFIX, 'store-docs', storeId])
    return chunks.map((c) => c.key[c.key.length - 1]).filter((id): id is string => !!id)
  }

  /** Drops a cached record (the document was unloaded; storage keeps the truth). */
  forget(documentId: string): void {
    if (this.#cache.delete(documentId)) this.#version += 1
  }

  /**
   * Drops every cached "no record" answer. In a cluster another node may have recorded owners
   * since: called when this node takes a store over, so it asks storage again.
   */
  forgetAbsent(): void {
    for (const [id, record] of [...this.#cache]) if (record === null) this.#cache.delete(id)
    this.#version += 1
  }

  /**
   * Moves whenever a cached answer changes (a record learnt, settled, claimed or dropped), not
   * when one is merely used: automerge-repo's steady sync messages skip its per-message share
   * round while it stands (@tabsync/protocol's `deliverSteadySyncDirectly`). The cache's own
   * evictions (documents not loaded) do not move it: an uncached record only refuses.
   */
  get version(): number {
    return this.#version
  }

  /** Number of cached records. */
  get cachedCount(): number {
    return this.#cache.size
  }

  /** Resolves when every record write started so far has finished. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes])
  }

  #denialReason(principal: Principal, record: OwnershipRecord): DenialReason | undefined {
    switch (record.state) {
      case 'owned':
        return record.storeId !== undefined && principal.storeIds.includes(record.storeId)
          ? undefined
          : 'other-store'
      case 'claimed': {
        // Until the content says which store it is, only the introducing device, or devices of
        // the one store the introducer could have meant, take part.
        const only = record.candidates.length === 1 ? record.candidates[0] : undefined
        if (principal.deviceId === record.introducer) return undefined
        if (only !== undefined && principal.storeIds.includes(only)) return undefined
        return 'other-store'
      }
      case 'quarantined':
        return 'quarantined'
    }
  }

  async #load(documentId: string): Promise<OwnershipRecord | null> {
    const bytes = await this.#storage.load([RELAY_KEY_PREFIX, 'owner', documentId])
    let record: OwnershipRecord | null = null
    if (bytes) {
      const parsed = recordSchema.safeParse(JSON.parse(decoder.decode(bytes)))
      if (!parsed.success) throw new Error(`Corrupt ownership record for ${documentId}`)
      record = parsed.data
    }
    // A claim may have landed while we were reading.
    const raced = this.#cache.get(documentId)
    if (raced !== undefined && raced !== null) return raced
    this.#touch(documentId, record)
    return record
  }

  async #claim(principal: Principal, documentId: string): Promise<OwnershipRecord> {
    const inFlight = this.#claiming.get(documentId)
    if (inFlight) return inFlight
    const claiming = (async () => {
      // Content already stored without a record was not written through this relay's checks:
      // refuse to hand it to anyone rather than guess its owner. Only document chunks count:
      // automerge-repo saves a peer's `sync-state` after a heads-only first message, before any
      // content exists (bug found by the sync package's integration test).
      const snapshots = await this.#storage.loadRange([documentId, 'snapshot'])
      const incrementals =
        snapshots.length > 0 ? [] : await this.#storage.loadRange([documentId, 'incremental'])
      const stored = snapshots.length + incrementals.length
      const record: OwnershipRecord = {
        v: 1,
        documentId,
        state: stored > 0 ? 'quarantined' : 'claimed',
        candidates: [...principal.storeIds],
        introducer: principal.deviceId,
        at: Date.now(),
      }
      await this.#write(record)
      this.#touch(documentId, record)
      this.#log.info(
        {
          documentId,
          deviceId: principal.deviceId,
          candidates: record.candidates,
          state: record.state,
        },
        'document introduced',
      )
      return record
    })().finally(() => this.#claiming.delete(documentId))
    this.#claiming.set(documentId, claiming)
    return claiming
  }

  #persist(record: OwnershipRecord): void {
    this.#track(this.#write(record))
  }

  #write(record: OwnershipRecord): Promise<void> {
    return this.#storage.save(
      [RELAY_KEY_PREFIX, 'owner', record.documentId],
      encoder.encode(JSON.stringify(record)),
    )
  }

  #track(write: Promise<void>): void {
    const tracked = write.catch((err: unknown) => {
      this.#log.error({ err }, 'ownership record write failed')
    })
    this.#writes.add(tracked)
    void tracked.finally(() => this.#writes.delete(tracked))
  }

  #touch(documentId: string, record: OwnershipRecord | null): void {
    if (this.#cache.get(documentId) !== record) this.#version += 1
    this.#cache.delete(documentId)
    this.#cache.set(documentId, record)
    if (this.#cache.size <= this.#cacheSize) return
    for (const id of this.#cache.keys()) {
      if (this.#cache.size <= this.#cacheSize) break
      if (!this.#isLoaded(id)) this.#cache.delete(id)
    }
  }
}

/** The root `storeId` of a Tabsync document (a string or an ImmutableString), if present. */
export function readStoreId(doc: unknown): string | undefined {
  if (doc === null || typeof doc !== 'object') return undefined
  const value: unknown = (doc as Record<string, unknown>).storeId
  if (typeof value === 'string') return value
  if (value instanceof A.ImmutableString) return value.val
  return undefined
}
