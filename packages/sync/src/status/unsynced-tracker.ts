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
  lastSyncAt: number | null = null

  constructor(storage: StorageAdapterInterface, now: () => number, onChange: () => void) {
    this.#storage = storage
    this.#now = now
    this.#onChange = onChange
  }

  /** Restores markers written before a restart; returns their document ids. */
  async load(): Promise<DocumentId[]> {
    const chunks = await this.#storage.loadRange(DeviceKeys.pendingPrefix)
    const ids = chunks
      .map((c) => c.key[1])
      .filter((id): id is string => typeof id === 'string' && id.length > 0) as DocumentId[]
    for (const id of ids) this.#pending.add(id)
    if (ids.length > 0) this.#onChange()
    return ids
  }

  /**
   * Forgets a marker whose document has no content in local storage: the crash came after the
   * marker was written but before the document was (the action was never acknowledged "saved",
   * and there is nothing left to announce).
   */
  drop(id: DocumentId): Promise<void> {
    if (this.#pending.delete(id)) this.#onChange()
    return this.#chain(id, async () => {
      if (!this.#pending.has(id)) await this.#storage.remove(DeviceKeys.pending(id))
    })
  }

  /** Number of documents with unconfirmed local changes. */
  get unsynced(): number {
    return this.#pending.size
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
    if (!wasPending) this.#onChange()
    const heads = new TextEncoder().encode(JSON.stringify(handle.heads()))
    return this.#chain(id, () => this.#storage.save(DeviceKeys.pending(id), heads))
  }

  /**
   * Re-evaluates one document after its heads or a peer's acknowledged heads changed;
   * `fromPeer` when a peer just acknowledged heads (that moment is the last successful sync).
   */
  check(handle: DocHandle<unknown>, fromPeer = false): void {
    if (!handle.isReady()) return
    const covered = this.#covered(handle)
    if (covered && fromPeer) this.lastSyncAt = this.#now()
    if (!covered || !this.#pending.has(handle.documentId)) return
    const id = handle.documentId
    this.#pending.delete(id)
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
