import type { DocumentId, PeerId, Repo } from '@automerge/automerge-repo'

/**
 * Starts every reconnecting peer's sync of the documents it synced before from a fresh sync
 * state (the shared heads only), as a new connection must.
 *
 * Why: automerge-repo keeps a document's sync state per peer id across disconnections, and only
 * round-trips it through `encodeSyncState` (which drops what was sent on the lost connection)
 * in `beginSync`, which it calls for peers it announces documents to. The relay announces
 * nothing to devices, so a device that reconnects with the same peer id (every reconnect of one
 * `openDevice`) met its old state: changes the relay sent just before the socket closed were
 * still in `sentHashes`, never arrived, and Automerge never sends a change twice from one sync
 * state, even when the device lists it in `need`. The device and the relay then exchanged
 * "need X" / "nothing" forever (hundreds of messages a second, until the rate limit), both
 * reporting "online, unsynced 0" while the device stayed without the other devices' changes.
 * Seen when a cluster node gave a store up during a PostgreSQL outage (its sockets closed
 * mid-exchange) and took it back; any closed socket with frames in flight can do it.
 *
 * The reset runs synchronously on the repo's `peer` event, before any frame of the new
 * connection is handled, and only for documents the peer still may access (`mayAccess`): it
 * sends the peer one sync message per such document, which it is owed anyway.
 */
export function resetSyncOnReconnect(
  repo: Repo,
  mayAccess: (peerId: PeerId, documentId: DocumentId) => boolean,
): void {
  /** Documents each peer has a sync state for in this process (bounded by loaded documents). */
  const synced = new Map<PeerId, Set<DocumentId>>()
  repo.synchronizer.on('sync-state', ({ peerId, documentId }) => {
    let docs = synced.get(peerId)
    if (!docs) synced.set(peerId, (docs = new Set()))
    docs.add(documentId)
  })
  repo.networkSubsystem.on('peer', ({ peerId }) => {
    const docs = synced.get(peerId)
    if (!docs) return
    for (const documentId of docs) {
      const synchronizer = repo.synchronizer.docSynchronizers[documentId]
      // Unloaded since: its synchronizer, and the stale state with it, is gone.
      if (!synchronizer) docs.delete(documentId)
      else if (!synchronizer.hasPeer(peerId) && mayAccess(peerId, documentId)) {
        void synchronizer.beginSync([peerId])
      }
    }
  })
  repo.networkSubsystem.on('peer-disconnected', () => {
    // Forget documents unloaded since (their states went with their synchronizers).
    for (const [peerId, docs] of synced) {
      for (const documentId of docs) {
        if (!repo.synchronizer.docSynchronizers[documentId]) docs.delete(documentId)
      }
      if (docs.size === 0) synced.delete(peerId)
    }
  })
}
