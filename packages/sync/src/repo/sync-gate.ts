import type { DocumentId, PeerId } from '@automerge/automerge-repo/slim'

/**
 * Holds back the sync exchange of documents a device has just brought in bulk, while it opens
 * them. A document opened in the repo starts one sync exchange per peer, and a relay answers
 * each by loading the document itself: for the open checks of a new device that is the relay
 * loading 60 documents on the same machine's CPU while the device loads them too, all of it to
 * learn that both hold the same bytes (the bulk answer is the relay's copy). Held documents
 * start their exchange as soon as they are released (the step is usable), so anything another
 * device changed meanwhile still arrives; nothing is skipped, only ordered.
 *
 * It is the repo's `sharePolicy` (automerge-repo awaits it before it starts syncing a
 * document with a peer); everything not held is shared at once, as before.
 */
export class SyncGate {
  /** Held documents: how many holders, and the waiters to wake on release. */
  readonly #held = new Map<DocumentId, { count: number; waiters: (() => void)[] }>()

  /** The repo's share policy: true, once the document is not held. */
  readonly policy = (_peerId: PeerId, documentId?: DocumentId): Promise<boolean> => {
    const held = documentId ? this.#held.get(documentId) : undefined
    if (!held) return Promise.resolve(true)
    return new Promise((resolve) => held.waiters.push(() => resolve(true)))
  }

  /** Holds the sync of `ids` until {@link release}d (as many times as held). */
  hold(ids: readonly DocumentId[]): void {
    for (const id of ids) {
      const held = this.#held.get(id)
      if (held) held.count++
      else this.#held.set(id, { count: 1, waiters: [] })
    }
  }

  /** Releases `ids` once; a document released by every holder starts syncing. */
  release(ids: readonly DocumentId[]): void {
    for (const id of ids) {
      const held = this.#held.get(id)
      if (!held || --held.count > 0) continue
      this.#held.delete(id)
      for (const wake of held.waiters) wake()
    }
  }

  /** Releases everything (the device closes). */
  releaseAll(): void {
    const all = [...this.#held.values()]
    this.#held.clear()
    for (const held of all) for (const wake of held.waiters) wake()
  }
}
