import type {
  Chunk,
  DocumentId,
  StorageAdapterInterface,
  StorageKey,
} from '@automerge/automerge-repo/slim'

/*
 * Write-ahead dirty marks (issue 15): the device's summary cache keeps the digests of stored
 * orders in one blob (digest-log.ts) and a reader at cold start trusts every entry whose
 * document has no dirty mark, without listing the document's chunks. This wrapper is what makes
 * that safe: it sees every write of the device's storage (automerge-repo's saves, compactions
 * and removals, the catch-up's bulk chunks) before it happens, and before the first write of a
 * document's content after its entry was written it writes a mark `['tabsync-dirty', id]` and
 * waits until the adapter completed it. A crash after the mark and before (or after) the chunk
 * leaves the mark; the reader then checks that entry against the chunks. A mark goes only after
 * a fresh entry is in the blob and nothing was written to the document meanwhile.
 *
 * One process writes a device's storage (one Device per storage): the set of documents with
 * entries is read from the blob once, when this process starts writing.
 */

/** Storage prefix of the dirty marks. */
export const DIRTY_PREFIX: StorageKey = ['tabsync-dirty']

/** Per document: has an entry and no mark (`clean`), or has a mark (`marked`). */
type MarkState = 'clean' | 'marked'

const MARK = new Uint8Array([1])

/** A write of document content: a snapshot or incremental chunk, or the whole document. */
function contentDoc(key: StorageKey): DocumentId | undefined {
  const [first, type] = key
  if (!first || first.startsWith('tabsync-') || first === 'storage-adapter-id') return undefined
  if (key.length === 1 || type === 'snapshot' || type === 'incremental') return first as DocumentId
  return undefined
}

export class DirtyMarkStorage implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  readonly #trackedIds: () => Promise<Iterable<DocumentId>>
  #init: Promise<void> | undefined
  readonly #state = new Map<DocumentId, MarkState>()
  /** Mark writes and removals per document, in order (a removal never overtakes a write). */
  readonly #markOps = new Map<DocumentId, Promise<void>>()
  /** Mark writes in flight (content writes of that document wait for them). */
  readonly #markWrites = new Map<DocumentId, Promise<void>>()
  /** Content writes issued per document (an entry is fresh only if none came meanwhile). */
  readonly #writes = new Map<DocumentId, number>()
  readonly #inFlight = new Map<DocumentId, Set<Promise<unknown>>>()

  /**
   * @param trackedIds the documents that have an entry in the digest blob, read once before
   *   the first content write passes.
   */
  constructor(inner: StorageAdapterInterface, trackedIds: () => Promise<Iterable<DocumentId>>) {
    this.#inner = inner
    this.#trackedIds = trackedIds
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  loadRange(prefix: StorageKey): Promise<Chunk[]> {
    return this.#inner.loadRange(prefix)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.#write(key, () => this.#inner.save(key, data))
  }

  remove(key: StorageKey): Promise<void> {
    return this.#write(key, () => this.#inner.remove(key))
  }

  removeRange(prefix: StorageKey): Promise<void> {
    return this.#write(prefix, () => this.#inner.removeRange(prefix))
  }

  /** Documents with a mark now (on disk, or being written before a content write). */
  async marked(): Promise<ReadonlySet<DocumentId>> {
    await this.#ready()
    const out = new Set<DocumentId>()
    for (const [id, state] of this.#state) if (state === 'marked') out.add(id)
    return out
  }

  /**
   * An entry for `id` is about to be derived: from now on its content writes are marked first.
   * Resolves, once the content writes already issued completed, with a token for
   * {@link entryWritten}.
   */
  async beginEntry(id: DocumentId): Promise<number> {
    await this.#ready()
    if (!this.#state.has(id)) this.#state.set(id, 'clean')
    const token = this.#writes.get(id) ?? 0
    await Promise.allSettled([...(this.#inFlight.get(id) ?? [])])
    return token
  }

  /**
   * The entry begun with `token` is in the blob. If no content of `id` was written since, its
   * mark goes; otherwise the mark stays (the entry may be behind the chunks).
   */
  async entryWritten(id: DocumentId, token: number): Promise<void> {
    if ((this.#writes.get(id) ?? 0) !== token || this.#state.get(id) !== 'marked') return
    this.#state.set(id, 'clean')
    await this.#markOp(id, () => this.#inner.remove([...DIRTY_PREFIX, id]))
  }

  /** The blob on disk no longer holds an entry for `id`: its writes need no mark, nor it one. */
  async untrack(id: DocumentId): Promise<void> {
    const state = this.#state.get(id)
    this.#state.delete(id)
    if (state === 'marked') await this.#markOp(id, () => this.#inner.remove([...DIRTY_PREFIX, id]))
  }

  #ready(): Promise<void> {
    this.#init ??= (async () => {
      const [marks, tracked] = await Promise.all([
        this.#inner.loadRange(DIRTY_PREFIX),
        this.#trackedIds(),
      ])
      for (const id of tracked) this.#state.set(id, 'clean')
      for (const chunk of marks) {
        const id = chunk.key[1] as DocumentId | undefined
        if (id) this.#state.set(id, 'marked')
      }
    })()
    return this.#init
  }

  #write(key: StorageKey, op: () => Promise<void>): Promise<void> {
    const id = contentDoc(key)
    if (!id) return op()
    this.#writes.set(id, (this.#writes.get(id) ?? 0) + 1)
    const p = this.#markFirst(id).then(op)
    let set = this.#inFlight.get(id)
    if (!set) this.#inFlight.set(id, (set = new Set()))
    set.add(p)
    const done = () => {
      set.delete(p)
      if (set.size === 0 && this.#inFlight.get(id) === set) this.#inFlight.delete(id)
    }
    p.then(done, done)
    return p
  }

  /** Resolves once a mark of `id` is on disk, if it needs one. */
  async #markFirst(id: DocumentId): Promise<void> {
    await this.#ready()
    const state = this.#state.get(id)
    if (state === undefined) return
    if (state === 'marked') {
      // A mark write still in flight (another write of this document issued it).
      await this.#markWrites.get(id)
      return
    }
    this.#state.set(id, 'marked')
    const write = this.#markOp(id, () => this.#inner.save([...DIRTY_PREFIX, id], MARK))
    this.#markWrites.set(id, write)
    const done = (failed: boolean) => {
      if (this.#markWrites.get(id) !== write) return
      this.#markWrites.delete(id)
      // Not on disk: the next content write tries again (this one fails with it).
      if (failed && this.#state.get(id) === 'marked') this.#state.set(id, 'clean')
    }
    write.then(
      () => done(false),
      () => done(true),
    )
    await write
  }

  #markOp(id: DocumentId, op: () => Promise<void>): Promise<void> {
    const next = (this.#markOps.get(id) ?? Promise.resolve()).then(op)
    const settled = next.catch(() => undefined)
    this.#markOps.set(id, settled)
    void settled.then(() => {
      if (this.#markOps.get(id) === settled) this.#markOps.delete(id)
    })
    return next
  }
}
