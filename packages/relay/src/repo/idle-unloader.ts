import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { Logger } from '../log.js'
import { unloadDocument } from './unload-document.js'

/** Options of {@link IdleUnloader}. */
export interface IdleUnloaderOptions {
  /** A document untouched this long (ms) is unloaded. */
  readonly idleMs: number
  readonly log: Logger
  /** Called after a document left memory. */
  readonly onUnloaded?: (documentId: string) => void
  readonly now?: () => number
}

/**
 * Keeps the repo's handle cache bounded: automerge-repo never evicts handles (issues #330,
 * #358), so a relay serving many stores would grow without limit. Documents with no inbound or
 * outbound traffic for `idleMs` are saved and dropped; the next message about one loads it again
 * from storage (automerge-repo's collection synchronizer finds it on demand).
 *
 * Caveats of `repo.removeFromCache` in 2.5.6 that this works around:
 * - DATA LOSS: it calls `handle.unload()`, which replaces the doc with an empty one and emits
 *   `heads-changed` while the repo's throttled save listener is still attached; that save writes
 *   an empty snapshot and removes every stored chunk of the document. The handle's listeners are
 *   removed first (see unload-document.ts);
 * - it throws for handles that are not ready (`doc()` throws), so unavailable handles (requests
 *   for documents nobody has) are dropped from `repo.handles` and the synchronizer directly;
 * - handles still loading or requesting are left alone (removing them would strand a find);
 * - it drops the throttled save function, so the document is flushed first;
 * - peers that synced the document are remembered by the collection synchronizer
 *   (`hasRequested`), so a reloaded document resumes syncing with them.
 */
export class IdleUnloader {
  readonly #repo: Repo
  readonly #options: IdleUnloaderOptions
  readonly #now: () => number
  readonly #lastActive = new Map<string, number>()
  readonly #unloading = new Map<string, Promise<void>>()
  readonly #timer: ReturnType<typeof setInterval>
  #sweeping: Promise<void> | undefined

  constructor(repo: Repo, options: IdleUnloaderOptions) {
    this.#repo = repo
    this.#options = options
    this.#now = options.now ?? Date.now
    this.#timer = setInterval(() => void this.sweep(), Math.max(25, Math.floor(options.idleMs / 2)))
    this.#timer.unref()
  }

  /** Marks a document as in use now. */
  touch(documentId: string): void {
    this.#lastActive.set(documentId, this.#now())
  }

  /**
   * While a document is being unloaded, a promise that settles when it is gone: frames about it
   * wait for it before reaching the repo. Otherwise a frame delivered between the idle check and
   * the removal lands in the synchronizer of a handle that is being unloaded, where
   * automerge-repo queues it forever (the peer never gets an answer).
   */
  unloading(documentId: string): Promise<void> | undefined {
    return this.#unloading.get(documentId)
  }

  /** One pass: unloads every idle document. Runs one at a time. */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined))
    return this.#sweeping
  }

  stop(): Promise<void> {
    clearInterval(this.#timer)
    return this.#sweeping ?? Promise.resolve()
  }

  async #sweep(): Promise<void> {
    const now = this.#now()
    const handles = this.#repo.handles
    for (const id of Object.keys(handles) as DocumentId[]) {
      const last = this.#lastActive.get(id)
      if (last === undefined) {
        this.#lastActive.set(id, now) // first seen: start its idle clock
        continue
      }
      if (now - last < this.#options.idleMs) continue
      const handle = handles[id]
      if (!handle) continue
      try {
        if (handle.isReady()) {
          let release: () => void = () => {}
          this.#unloading.set(id, new Promise<void>((resolve) => (release = resolve)))
          try {
            await this.#repo.flush([id])
            // Touched again while flushing: keep it.
            if ((this.#lastActive.get(id) ?? 0) > last) continue
            await unloadDocument(this.#repo, handle)
          } finally {
            this.#unloading.delete(id)
            release()
          }
        } else if (handle.isUnavailable()) {
          delete (handles as Record<string, unknown>)[id]
          this.#repo.synchronizer.removeDocument(id)
        } else {
          continue
        }
        this.#lastActive.delete(id)
        this.#options.onUnloaded?.(id)
        this.#options.log.debug({ documentId: id }, 'unloaded idle document')
      } catch (err) {
        this.#options.log.warn({ err, documentId: id }, 'could not unload idle document')
      }
    }
    // Forget activity of documents that are no longer loaded (unloaded elsewhere, deleted).
    for (const id of this.#lastActive.keys()) if (!(id in handles)) this.#lastActive.delete(id)
  }
}
