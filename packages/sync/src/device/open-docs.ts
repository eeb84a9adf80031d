import * as A from '@automerge/automerge'
import type {
  AutomergeUrl,
  DocHandle,
  DocHandleChangePayload,
  DocumentId,
  Repo,
} from '@automerge/automerge-repo/slim'
import type { OrderDoc } from '@tabsync/core'
import { text } from '@tabsync/core/internal'
import { documentIdOf } from '../docs/document-id.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import { findDoc } from '../docs/find-doc.js'
import { createLimiter } from '../docs/limiter.js'
import type { UnsyncedTracker } from '../status/unsynced-tracker.js'

/** The kind of a Tabsync document, from its root `kind` field. */
export type DocKindName = 'store' | 'table' | 'table-day' | 'order'

/** A change to a document this device has open. */
export interface ChangeEvent {
  readonly url: AutomergeUrl
  readonly kind: DocKindName
}

/** Options of {@link OpenDocs.open}. */
export interface OpenOptions {
  /** Give up (`unavailable`) after this many find attempts. Default: never. */
  readonly maxAttempts?: number | undefined
  /** Give up (`unavailable`) after this long (ms). Default: never. */
  readonly timeoutMs?: number | undefined
  /**
   * Stops waiting (`closed`) when aborted, instead of the device's own signal: its owner must
   * abort it when the device closes (day views are closed by the device).
   */
  readonly signal?: AbortSignal | undefined
}

/** What {@link OpenDocs} needs from the device. */
export interface OpenDocsParts {
  readonly repo: Repo
  readonly tracker: UnsyncedTracker
  /** Aborted when the device closes: every find stops. */
  readonly signal: AbortSignal
  readonly random: () => number
  /**
   * Called with every order that is opened (no payload) or changes (the clock absorbs its
   * stamps); a change's payload says what it brought.
   */
  readonly orderSeen: (
    handle: DocHandle<OrderDoc>,
    change?: DocHandleChangePayload<unknown>,
  ) => void
  /** Resolves once the clock's state is in storage (part of "saved"). */
  readonly persistClock: () => Promise<void>
  /** Writes the device's storage dropped since it closed (ClosableStorage.droppedWrites). */
  readonly droppedWrites?: () => number
  /** Called first, in the same turn, with every change of a tracked document (the fast path). */
  readonly changed?: (handle: DocHandle<unknown>, payload: DocHandleChangePayload<unknown>) => void
}

/**
 * The documents a device has open: finding them (bounded, unavailable-is-not-final), watching
 * each one once (change events, clock absorption, unsynced tracking) and "saved". Every other
 * part of the device opens documents through here, so nothing is watched twice or missed.
 */
export class OpenDocs {
  readonly #parts: OpenDocsParts
  /** Finds in flight are bounded (see limiter.ts). */
  readonly #finds = createLimiter(64)
  readonly #tracked = new Map<DocumentId, { handle: DocHandle<unknown>; off: () => void }>()
  readonly #listeners = new Set<(event: ChangeEvent) => void>()
  /** Opens in flight (queued or finding), with the document each is for. */
  readonly #opening = new Set<{ readonly id: DocumentId | undefined }>()

  constructor(parts: OpenDocsParts) {
    this.#parts = parts
  }

  /** Finds a document (waiting while it is unavailable, within the options' bounds) and tracks it. */
  async open<D>(url: AutomergeUrl | DocumentId, options: OpenOptions = {}): Promise<DocHandle<D>> {
    // Every command opens its document: one this device already watches, ready with content,
    // is returned as it is (no find, no URL checksum), ahead of the command's change.
    const open = (options.signal ?? this.#parts.signal).aborted ? undefined : this.#openAlready(url)
    if (open) return open as DocHandle<D>
    const opening = { id: url.startsWith('automerge:') ? documentIdOf(url) : (url as DocumentId) }
    this.#opening.add(opening)
    try {
      const handle = await this.#finds.run(() =>
        findDoc<D>(this.#parts.repo, url, {
          signal: options.signal ?? this.#parts.signal,
          random: this.#parts.random,
          maxAttempts: options.maxAttempts,
          timeoutMs: options.timeoutMs,
        }),
      )
      this.track(handle as DocHandle<unknown>)
      return handle
    } finally {
      this.#opening.delete(opening)
    }
  }

  /** The tracked handle of a plain document URL or id, when it is ready with content. */
  #openAlready(url: AutomergeUrl | DocumentId): DocHandle<unknown> | undefined {
    // A URL naming heads (`#...`) is a view: that one goes through the repo.
    const id = url.startsWith('automerge:') ? url.slice('automerge:'.length) : url
    if (id.includes('#')) return undefined
    const handle = this.#tracked.get(id as DocumentId)?.handle
    if (!handle?.isReady() || A.getHeads(handle.doc() as A.Doc<unknown>).length === 0)
      return undefined
    return handle
  }

  /**
   * Opens in flight that are still getting somewhere: queued, loading from storage or asking a
   * peer. One whose document no connected peer has (`unavailable`, waiting for one to appear)
   * is not counted: a close that waited for it would wait its whole deadline.
   */
  progressing(): number {
    let n = 0
    for (const { id } of this.#opening) {
      const state = id ? this.#parts.repo.handles[id]?.state : undefined
      if (state !== 'unavailable' && state !== 'deleted') n++
    }
    return n
  }

  /** Watches a document: change events, clock absorption, unsynced tracking. Once per document. */
  track(handle: DocHandle<unknown>): void {
    if (this.#tracked.has(handle.documentId)) return
    const { tracker } = this.#parts
    const onChange = (payload: DocHandleChangePayload<unknown>) => {
      this.#parts.changed?.(handle, payload)
      if (!handle.isReady()) return
      const kind = kindOfDoc(handle) as DocKindName
      if (kind === 'order') this.#parts.orderSeen(handle as DocHandle<OrderDoc>, payload)
      for (const cb of [...this.#listeners]) cb({ url: handle.url, kind })
    }
    const onHeads = () => tracker.check(handle)
    const onRemote = () => tracker.check(handle, true)
    handle.on('change', onChange)
    handle.on('heads-changed', onHeads)
    handle.on('remote-heads', onRemote)
    this.#tracked.set(handle.documentId, {
      handle,
      off: () => {
        handle.off('change', onChange)
        handle.off('heads-changed', onHeads)
        handle.off('remote-heads', onRemote)
      },
    })
    tracker.watch(handle)
    if (handle.isReady() && kindOfDoc(handle) === 'order') {
      this.#parts.orderSeen(handle as DocHandle<OrderDoc>)
    }
  }

  /** A tracked document's handle. */
  handle(id: DocumentId): DocHandle<unknown> | undefined {
    return this.#tracked.get(id)?.handle
  }

  /** The tracked orders that are ready. */
  *orders(): Iterable<DocHandle<OrderDoc>> {
    for (const { handle } of this.#tracked.values()) {
      if (handle.isReady() && kindOfDoc(handle) === 'order') yield handle as DocHandle<OrderDoc>
    }
  }

  /** The kind of a tracked document ('order', 'table', ...), undefined when not open. */
  kindOf(id: DocumentId): string | undefined {
    const handle = this.#tracked.get(id)?.handle
    return handle?.isReady() ? kindOfDoc(handle) : undefined
  }

  /** Calls `cb` after every change (local or remote) of a tracked document. */
  onChange(cb: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(cb)
    return () => this.#listeners.delete(cb)
  }

  /**
   * Tells the change listeners about a document that became available after it was looked for
   * (its arrival made it ready, which the change event of that arrival came before).
   */
  arrived(handle: DocHandle<unknown>): void {
    this.track(handle)
    if (!handle.isReady()) return
    const kind = kindOfDoc(handle) as DocKindName
    for (const cb of [...this.#listeners]) cb({ url: handle.url, kind })
  }

  /** "Saved": the documents are flushed, their unsynced markers and the clock state written. */
  async saved(handles: DocHandle<unknown>[]): Promise<void> {
    const { repo, tracker, droppedWrites } = this.#parts
    const dropped = droppedWrites?.() ?? 0
    await Promise.all([
      repo.flush(handles.map((h) => h.documentId)),
      ...handles.map((h) => tracker.markLocal(h)),
      this.#parts.persistClock(),
    ])
    // The device closed without a flush meanwhile (a crash, a logout): its storage resolved
    // writes it dropped. Not "saved": the command must not be acknowledged.
    if ((droppedWrites?.() ?? 0) > dropped) {
      throw new SyncError(SyncErrorKind.closed, 'the device closed before this was saved')
    }
    // A peer may have confirmed while the marker was being written.
    for (const h of handles) tracker.check(h)
  }

  /** Stops watching every document. */
  close(): void {
    for (const { off } of this.#tracked.values()) off()
  }
}

/** The root `kind` of a ready document ('store', 'table', 'order'). */
export function kindOfDoc(handle: DocHandle<unknown>): string | undefined {
  return text((handle.doc() as { kind?: string }).kind)
}
