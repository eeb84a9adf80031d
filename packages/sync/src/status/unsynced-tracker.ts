import type {
  DocHandle,
  DocumentId,
  PeerId,
  StorageAdapterInterface,
  StorageId,
} from '@automerge/automerge-repo/slim'
import { DeviceKeys } from '../storage/device-keys.js'

/**
 * Which documents have local changes that no hub or relay has confirmed.
 *
 * A document enters the set when this device changes it (the marker is written to storage in
 * the same breath as the document is flushed, so it survives a crash) and leaves it when an
 * upstream peer's acknowledged heads (automerge-repo's `handle.getSyncInfo(storageId)`, fed
 * from the sync protocol's `theirHeads`) include every local head. Upstream peers are those a
 * {@link SyncLink} reports as hub or relay; their storage id comes from their peer metadata.
 *
 * A local head counts as confirmed only when it is literally among the peer's heads: when the
 * peer also has changes this device has not received yet, the document stays "unsynced" until
 * those arrive and the heads meet again (a moment later). Conservative, never optimistic.
 */
export class UnsyncedTracker {
  #storage: StorageAdapterInterface
  #now: () => number
  #pending = new Set<DocumentId>()
  #handles = new Map<DocumentId, DocHandle<unknown>>()
  #upstream = new Map<PeerId, StorageId>()
  #storageIds = new Set<StorageId>()
  #chains = new Map<DocumentId, Promise<void>>()
  #onChange: () => void
  /** Local saves per pending document since an upstream last had all of it. */
  #changes = new Map<DocumentId, number>()
  #lastSyncWrite: Promise<void> = Promise.resolve()
  #lastSyncWritten = 0
  #lastSyncTimer: ReturnType<typeof setTimeout> | undefined
  /** When an upstream last acknowledged heads covering a document (persisted, see {@link load}). */
  lastSyncAt: number | null = null

  constructor(storage: StorageAdapterInterface, now: () => number, onChange: () => void) {
    this.#storage = storage
    this.#now = now
    this.#onChange = onChange
  }

  /**
   * Restores markers (with their change counts) and the last sync time written before a
   * restart; returns the pending document ids.
   */
  async load(): Promise<DocumentId[]> {
    const [chunks, last] = await Promise.all([
      this.#storage.loadRange(DeviceKeys.pendingPrefix),
      this.#storage.load(DeviceKeys.lastSync),
    ])
    const ids: DocumentId[] = []
    for (const c of chunks) {
      const id = c.key[1]
      if (typeof id !== 'string' || id.length === 0) continue
      ids.push(id as DocumentId)
      this.#pending.add(id as DocumentId)
      this.#changes.set(id as DocumentId, markerChanges(c.data))
    }
    const stored = last ? Number(new TextDecoder().decode(last)) : NaN
    // A confirmation seen since start is newer than the stored one: keep it.
    if (Number.isFinite(stored) && this.lastSyncAt === null) this.lastSyncAt = stored
    if (ids.length > 0 || this.lastSyncAt !== null) this.#onChange()
    return ids
  }

  /**
   * Forgets a marker whose document has no content in local storage: the crash came after the
   * marker was written but before the document was (the action was never acknowledged "saved",
   * and there is nothing left to announce).
   */
  drop(id: DocumentId): Promise<void> {
    this.#changes.delete(id)
    if (this.#pending.delete(id)) this.#onChange()
    return this.#chain(id, async () => {
      if (!this.#pending.has(id)) await this.#storage.remove(DeviceKeys.pending(id))
    })
  }

  /** Number of documents with unconfirmed local changes. */
  get unsynced(): number {
    return this.#pending.size
  }

  /**
   * Local saves (one per command or batch a person made) not yet confirmed by a hub or relay,
   * over all pending documents: what "changes waiting" means to staff.
   */
  get unsyncedChanges(): number {
    let n = 0
    for (const id of this.#pending) n += this.#changes.get(id) ?? 1
    return n
  }

  /** True when the document has local changes no hub or relay has confirmed. */
  isPending(id: DocumentId): boolean {
    return this.#pending.has(id)
  }

  /**
   * The heads each connected-or-known upstream last acknowledged for a document (base58, as
   * `handle.heads()`), freshest knowledge of what reached the hub or relay.
   */
  acknowledgedHeads(handle: DocHandle<unknown>): string[][] {
    const out: string[][] = []
    for (const storageId of this.#storageIds) {
      const info = handle.getSyncInfo(storageId)
      if (info) out.push([...info.lastHeads])
    }
    return out
  }

  /** Ids of documents with unconfirmed local changes. */
  pendingIds(): DocumentId[] {
    return [...this.#pending]
  }

  /** A hub or relay peer connected; `storageId` is from its peer metadata. */
  addUpstream(peerId: PeerId, storageId: StorageId | undefined): void {
    if (!storageId) return
    this.#upstream.set(peerId, storageId)
    this.#storageIds.add(storageId)
  }

  removeUpstream(peerId: PeerId): void {
    this.#upstream.delete(peerId)
  }

  /** Peers currently connected that count as upstream. */
  upstreamPeers(): PeerId[] {
    return [...this.#upstream.keys()]
  }

  /** Starts watching a handle's acknowledged heads. */
  watch(handle: DocHandle<unknown>): void {
    this.#handles.set(handle.documentId, handle)
    this.check(handle)
  }

  /**
   * Records a local change: the marker is written (ordered after any earlier marker operation
   * of this document). Resolves when the marker is in storage.
   */
  markLocal(handle: DocHandle<unknown>): Promise<void> {
    this.#handles.set(handle.documentId, handle)
    const id = handle.documentId
    const wasPending = this.#pending.has(id)
    this.#pending.add(id)
    const changes = (wasPending ? (this.#changes.get(id) ?? 1) : 0) + 1
    this.#changes.set(id, changes)
    this.#onChange()
    const marker = new TextEncoder().encode(JSON.stringify({ heads: handle.heads(), changes }))
    return this.#chain(id, () => this.#storage.save(DeviceKeys.pending(id), marker))
  }

  /**
   * Re-evaluates one document after its heads or a peer's acknowledged heads changed;
   * `fromPeer` when a peer just acknowledged heads (that moment is the last successful sync).
   */
  check(handle: DocHandle<unknown>, fromPeer = false): void {
    if (!handle.isReady()) return
    const covered = this.#covered(handle)
    if (covered && fromPeer) this.#synced()
    if (!covered || !this.#pending.has(handle.documentId)) return
    const id = handle.documentId
    this.#pending.delete(id)
    this.#changes.delete(id)
    this.#onChange()
    void this.#chain(id, async () => {
      // A change made after the confirmation re-added the marker in memory: keep it on disk.
      if (!this.#pending.has(id)) await this.#storage.remove(DeviceKeys.pending(id))
    }).catch(() => undefined)
  }

  /** Re-evaluates every watched document. */
  checkAll(): void {
    for (const handle of this.#handles.values()) this.check(handle)
  }

  /**
   * Notes a confirmation now; persists it at most once a second (a trailing write keeps the
   * last one), so "Synced 14:02" survives a reload without a storage write per sync message.
   */
  #synced(): void {
    this.lastSyncAt = this.#now()
    if (this.#lastSyncTimer !== undefined) return
    const wait = Math.max(0, this.#lastSyncWritten + 1000 - Date.now())
    this.#lastSyncTimer = setTimeout(() => {
      this.#lastSyncTimer = undefined
      this.#lastSyncWritten = Date.now()
      const at = new TextEncoder().encode(String(this.lastSyncAt))
      this.#lastSyncWrite = this.#lastSyncWrite
        .then(() => this.#storage.save(DeviceKeys.lastSync, at))
        // Storage closed by a shutdown in the meantime: the next start shows an older time.
        .catch(() => undefined)
    }, wait)
  }

  /** Waits for the last-sync write in flight (before closing storage). */
  async flushLastSync(): Promise<void> {
    if (this.#lastSyncTimer !== undefined) {
      clearTimeout(this.#lastSyncTimer)
      this.#lastSyncTimer = undefined
      const at = new TextEncoder().encode(String(this.lastSyncAt))
      this.#lastSyncWrite = this.#lastSyncWrite
        .then(() => this.#storage.save(DeviceKeys.lastSync, at))
        .catch(() => undefined)
    }
    await this.#lastSyncWrite
  }

  #covered(handle: DocHandle<unknown>): boolean {
    const heads = handle.heads()
    for (const storageId of this.#storageIds) {
      const info = handle.getSyncInfo(storageId)
      if (info && heads.every((h) => info.lastHeads.includes(h))) return true
    }
    return false
  }

  #chain(id: DocumentId, op: () => Promise<void>): Promise<void> {
    const prev = this.#chains.get(id) ?? Promise.resolve()
    const next = prev.catch(() => undefined).then(op)
    this.#chains.set(id, next)
    void next
      .finally(() => {
        if (this.#chains.get(id) === next) this.#chains.delete(id)
      })
      .catch(() => undefined)
    return next
  }
}

/** The change count of a marker: `{ heads, changes }`; markers of older versions (heads only) count 1. */
function markerChanges(data: Uint8Array | undefined): number {
  try {
    const v = JSON.parse(new TextDecoder().decode(data)) as { changes?: unknown }
    return typeof v.changes === 'number' && v.changes > 0 ? v.changes : 1
  } catch {
    return 1
  }
}
