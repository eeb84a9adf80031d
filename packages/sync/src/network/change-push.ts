import * as A from '@automerge/automerge'
import type { DocHandle, DocumentId, Repo } from '@automerge/automerge-repo/slim'
import { isTabsyncError } from '@tabsync/core'
import { fitChanges, localChangesBetween } from '@tabsync/core/internal'
import type { ChangeFrame } from '@tabsync/protocol'
import { SyncError, SyncErrorKind } from '../errors.js'
import type { Logger } from '../log/logger.js'

/** A link that carries `tabsync-change` frames (a {@link WebSocketLink}). */
export interface ChangeLink {
  sendChanges(documentId: string, changes: readonly Uint8Array[]): boolean
  onChangeFrame(cb: (frame: ChangeFrame) => void): () => void
}

/** True when `adapter` carries `tabsync-change` frames. */
export function isChangeLink<T>(adapter: T): adapter is T & ChangeLink {
  const a = adapter as Partial<ChangeLink> | null
  return typeof a?.sendChanges === 'function' && typeof a.onChangeFrame === 'function'
}

/** What {@link ChangePush} did with a frame from the relay (tests, logs). */
export type ChangeFrameResult = 'applied' | 'known' | 'missing-deps' | 'not-open' | 'corrupt'

/**
 * The device's side of the change fast path. After a local command the new changes go to the
 * relay at once in one small frame, in the same turn as the command (before automerge-repo's
 * sync message for them, which waits for a timer), and what the relay forwards is applied to the
 * open document straight away. Sync keeps running underneath and stays the truth: a frame whose
 * dependencies this device lacks, or for a document it does not have open, is ignored.
 */
export class ChangePush {
  readonly #repo: Repo
  readonly #links: readonly ChangeLink[]
  readonly #logger: Logger
  readonly #offs: (() => void)[]
  /** Listeners for results (tests). */
  readonly #observers = new Set<(documentId: string, result: ChangeFrameResult) => void>()
  /** The state {@link change} is handing to its handle, pushed already: its event pushes nothing. */
  #pushing: A.Doc<unknown> | undefined

  constructor(repo: Repo, links: readonly ChangeLink[], logger: Logger) {
    this.#repo = repo
    this.#links = links
    this.#logger = logger
    this.#offs = links.map((link) => link.onChangeFrame((frame) => this.#receive(frame)))
  }

  /**
   * A local change (as `handle.change`), pushed before the handle hears of it: the change is made
   * on the handle's document, its bytes go to the links, and only then does the handle take the
   * new state (heads, diff, change listeners: storage, sync messages, views), in the same turn.
   * The handle's bookkeeping is the larger part of a command's cost and nothing a receiver waits
   * for. A callback that throws changes nothing and the error propagates, as with `change`.
   */
  change<T>(handle: DocHandle<T>, callback: A.ChangeFn<T>): void {
    // Without a link, or on a handle `change` refuses (not ready, fixed heads), the stock path.
    if (this.#links.length === 0 || !handle.isReady() || handle.isReadOnly()) {
      handle.change(callback)
      return
    }
    const before = handle.doc()
    const after = A.change(before, callback)
    if (after === before) return // no operation: nothing to push, nothing changed
    try {
      const change = A.getLastLocalChange(after)
      if (change) for (const link of this.#links) link.sendChanges(handle.documentId, [change])
    } catch (err) {
      // `before` is outdated now: the handle must take `after` whatever the push did (sync
      // still carries the change).
      this.#logger.warn({ err, documentId: handle.documentId }, 'change frame not sent')
    }
    // The handle emits its change event inside `update` (synchronously): see `changed`.
    this.#pushing = after
    try {
      handle.update(() => after)
    } finally {
      this.#pushing = undefined
    }
  }

  /** A tracked document changed (`before` -> `after`): pushes what this device wrote. */
  changed(handle: DocHandle<unknown>, before: A.Doc<unknown>, after: A.Doc<unknown>): void {
    if (this.#links.length === 0) return
    if (after === this.#pushing) return // pushed by `change` already
    const changes = localChangesBetween(before, after)
    if (changes.length === 0) return
    for (const link of this.#links) link.sendChanges(handle.documentId, changes)
  }

  /** Calls `cb` with what became of every frame received (tests). */
  onResult(cb: (documentId: string, result: ChangeFrameResult) => void): () => void {
    this.#observers.add(cb)
    return () => this.#observers.delete(cb)
  }

  /** Stops listening to the links. */
  close(): void {
    for (const off of this.#offs) off()
  }

  #receive(frame: ChangeFrame): void {
    const result = this.#apply(frame)
    for (const cb of [...this.#observers]) cb(frame.documentId, result)
  }

  #apply(frame: ChangeFrame): ChangeFrameResult {
    const handle = this.#repo.handles[frame.documentId as DocumentId]
    if (!handle?.isReady()) return 'not-open'
    let fit
    try {
      // Hashes and dependencies from the changes' headers: decoding every op was the larger part
      // of this check. A change damaged behind a valid checksum fails in `applyChanges` below.
      fit = fitChanges(handle.doc() as A.Doc<unknown>, frame.changes, { read: 'header' })
    } catch (cause) {
      if (!isTabsyncError(cause)) throw cause
      return this.#corrupt(frame, cause)
    }
    if (fit.fit !== 'new') return fit.fit
    let next
    try {
      // Applied before the handle sees it: a change Automerge refuses leaves the document as it
      // was, and a listener's error is not taken for a bad frame.
      ;[next] = A.applyChanges(handle.doc() as A.Doc<unknown>, [...fit.changes])
    } catch (cause) {
      return this.#corrupt(frame, cause)
    }
    handle.update(() => next)
    return 'applied'
  }

  #corrupt(frame: ChangeFrame, cause: unknown): 'corrupt' {
    const err = new SyncError(
      SyncErrorKind.malformed,
      'change frame with an undecodable change ignored',
      { documentId: frame.documentId },
      { cause },
    )
    this.#logger.warn({ err, documentId: frame.documentId }, err.message)
    return 'corrupt'
  }
}
