import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'

/** Options of {@link WriteBehindStorage}. */
export interface WriteBehindOptions {
  /** How long a document's writes are held before they go out together (ms). */
  readonly windowMs: number
  /** A background write failed (it is retried at the next window). */
  readonly onError?: (err: unknown, documentId: string) => void
  /** The bytes held for documents whose last write failed changed ({@link failingBytes}). */
  readonly onFailingBytes?: (bytes: number) => void
}

/** One pending operation on a key: bytes to save, or null for a removal. */
interface Pending {
  readonly key: StorageKey
  readonly data: Uint8Array | null
}

/** What one document has waiting. */
interface Batch {
  /** Key (joined) -> last operation on it, in the order the keys were first touched. */
  readonly ops: Map<string, Pending>
  timer: ReturnType<typeof setTimeout> | undefined
  /** The write of this batch in progress, if any. */
  writing: Promise<void> | undefined
  /** The operations of the write in progress (still held until it succeeds). */
  inFlight: readonly Pending[]
  /** The last write of this document failed: what it holds waits on storage, not on a timer. */
  failing: boolean
}

const SEP = '\u0000'
/** automerge-repo's chunk kinds held back; anything else (the relay's records, the storage id)
 *  is written through at once. */
const BUFFERED = new Set(['incremental', 'snapshot', 'sync-state'])

/**
 * Holds a document's storage writes for a short window and writes them together, coalesced.
 *
 * automerge-repo saves a document after every change that reaches it (at most every
 * `saveDebounceRate`), as a new incremental chunk or, when compacting, a snapshot plus the
 * removal of every older chunk, and waits for each save before the next. On a relay that is a
 * file dance per change. Here a save of a document chunk resolves at once and is kept in memory
 * with the document's other pending writes; after `windowMs` they go out in one pass:
 * - the incremental chunks of the window are written as **one** chunk (Automerge chunks
 *   concatenate), under the last one's key; the earlier keys are never written;
 * - a chunk saved and removed (compacted) within the window is never written at all;
 * - removals go out after the saves of the same pass, so older chunks disappear only once the
 *   snapshot that replaces them is on disk.
 * Reads see pending writes, also those in flight (load, loadRange), so nothing in the process can
 * tell the difference; what a crash can lose is the last window, which devices still hold and send again when they
 * reconnect (automerge sync; see test/crash-restart.test.ts). {@link flush} writes everything now
 * (graceful shutdown). The relay's own records (ownership, revocations) are never held back:
 * they must be stored before the frame they concern reaches the repo.
 *
 * While storage fails, a document's writes stay here until a retry succeeds: they were
 * acknowledged already, so they are never dropped. {@link failingBytes} and
 * {@link failingDocuments} say what is held that way, so the relay's kept-writes bound counts it
 * like the writes `KeptWritesStorage` keeps (storage/kept-writes-bound.ts).
 */
export class WriteBehindStorage implements StorageAdapterInterface {
  readonly inner: StorageAdapterInterface
  readonly #windowMs: number
  readonly #onError: (err: unknown, documentId: string) => void
  readonly #onFailingBytes: (bytes: number) => void
  readonly #batches = new Map<string, Batch>()
  /** Bytes held for failing documents, as last reported. */
  #failingBytes = 0

  constructor(inner: StorageAdapterInterface, options: WriteBehindOptions) {
    this.inner = inner
    this.#windowMs = options.windowMs
    this.#onError = options.onError ?? (() => {})
    this.#onFailingBytes = options.onFailingBytes ?? (() => {})
  }

  /** Documents with writes waiting (tests, metrics). */
  get pendingDocuments(): number {
    return this.#batches.size
  }

  /** Bytes of document content held for documents whose last write failed. */
  get failingBytes(): number {
    return this.#failingBytes
  }

  /** Ids of the documents whose last write failed (their writes are held until one succeeds). */
  *failingDocuments(): IterableIterator<string> {
    for (const [doc, batch] of this.#batches) if (batch.failing) yield doc
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const batch = this.#batches.get(key[0] ?? '')
    const pending = batch && pendingOps(batch).get(key.join(SEP))
    if (pending) return pending.data ?? undefined
    return this.inner.load(key)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (!isBuffered(key)) return this.inner.save(key, data)
    this.#put({ key: [...key], data })
    return Promise.resolve()
  }

  remove(key: StorageKey): Promise<void> {
    if (!isBuffered(key)) return this.inner.remove(key)
    this.#put({ key: [...key], data: null })
    return Promise.resolve()
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    // Taken before the read: a write that lands meanwhile is still seen, from here.
    const overlay = [...this.#batches.entries()]
      .filter(([doc]) => keyPrefix.length === 0 || doc === keyPrefix[0])
      .flatMap(([, batch]) => [...pendingOps(batch).values()])
      .filter((op) => keyPrefix.every((part, i) => op.key[i] === part))
    const stored = await this.inner.loadRange(keyPrefix)
    if (overlay.length === 0) return stored
    const touched = new Set(overlay.map((op) => op.key.join(SEP)))
    return [
      ...stored.filter((c) => !touched.has(c.key.join(SEP))),
      ...overlay.flatMap((op) => (op.data ? [{ key: op.key, data: op.data }] : [])),
    ]
  }

  async removeRange(keyPrefix: StorageKey): Promise<void> {
    // Whatever is pending under the prefix is moot: drop it, then remove what is stored.
    for (const [doc, batch] of this.#batches) {
      if (keyPrefix.length > 0 && doc !== keyPrefix[0]) continue
      await batch.writing
      for (const [k, op] of batch.ops)
        if (keyPrefix.every((part, i) => op.key[i] === part)) batch.ops.delete(k)
    }
    await this.inner.removeRange(keyPrefix)
  }

  /** Writes every pending write now; resolves when they are stored. */
  async flush(): Promise<void> {
    await Promise.all([...this.#batches.keys()].map((doc) => this.#write(doc)))
  }

  #put(op: Pending): void {
    const doc = op.key[0] as string
    let batch = this.#batches.get(doc)
    if (!batch) {
      batch = { ops: new Map(), timer: undefined, writing: undefined, inFlight: [], failing: false }
      this.#batches.set(doc, batch)
    }
    const k = op.key.join(SEP)
    const previous = batch.ops.get(k)
    // A removal of a chunk saved within this window: that chunk was never written, but an older
    // file under the same key may exist (a content-addressed chunk written before), so the
    // removal still goes out. Re-inserting keeps the map in the order of the latest operation.
    if (previous) batch.ops.delete(k)
    batch.ops.set(k, op)
    batch.timer ??= setTimeout(() => void this.#write(doc), this.#windowMs)
    if (batch.failing) this.#reportFailing()
  }

  /** Writes one document's pending batch (after any write of it in progress). */
  async #write(doc: string): Promise<void> {
    const batch = this.#batches.get(doc)
    if (!batch) return
    if (batch.timer) clearTimeout(batch.timer)
    batch.timer = undefined
    while (batch.writing) await batch.writing
    if (batch.ops.size === 0) {
      if (this.#batches.get(doc) === batch && !batch.timer) this.#batches.delete(doc)
      return
    }
    const ops = [...batch.ops.values()]
    batch.ops.clear()
    batch.inFlight = ops
    batch.writing = this.#writeOps(ops).then(
      () => {
        batch.inFlight = []
        if (!batch.failing) return
        batch.failing = false
        this.#reportFailing()
      },
      (err: unknown) => {
        batch.inFlight = []
        this.#onError(err, doc)
        // Put back what a later operation has not superseded, and try again next window.
        for (const op of ops) {
          const k = op.key.join(SEP)
          if (!batch.ops.has(k)) batch.ops.set(k, op)
        }
        batch.failing = true
        this.#reportFailing()
        batch.timer ??= setTimeout(() => void this.#write(doc), this.#windowMs)
      },
    )
    try {
      await batch.writing
    } finally {
      batch.writing = undefined
      if (batch.ops.size === 0 && !batch.timer) this.#batches.delete(doc)
    }
  }

  /** Reports the bytes held for failing documents when they changed. */
  #reportFailing(): void {
    let bytes = 0
    for (const batch of this.#batches.values()) {
      if (!batch.failing) continue
      for (const op of batch.ops.values()) bytes += op.data?.byteLength ?? 0
      for (const op of batch.inFlight) bytes += op.data?.byteLength ?? 0
    }
    if (bytes === this.#failingBytes) return
    this.#failingBytes = bytes
    this.#onFailingBytes(bytes)
  }

  /** Saves (incrementals merged into one chunk) in order, then removals. */
  async #writeOps(ops: readonly Pending[]): Promise<void> {
    const saves = ops.filter((op) => op.data !== null)
    const removals = ops.filter((op) => op.data === null)
    const incrementals = saves.filter((op) => op.key[1] === 'incremental')
    const merged = incrementals.at(-1)
    for (const op of saves) {
      if (op.key[1] === 'incremental' && op !== merged) continue
      const data =
        op === merged && incrementals.length > 1
          ? concat(incrementals.map((i) => i.data as Uint8Array))
          : (op.data as Uint8Array)
      await this.inner.save(op.key, data)
    }
    for (const op of removals) await this.inner.remove(op.key)
  }
}

/**
 * What a batch holds that storage may not have yet, by key: the write in flight, then what waits
 * (later operations win). Reads see both: a write in flight is not stored until it resolves.
 */
function pendingOps(batch: Batch): Map<string, Pending> {
  if (batch.inFlight.length === 0) return batch.ops
  const all = new Map<string, Pending>()
  for (const op of batch.inFlight) all.set(op.key.join(SEP), op)
  for (const [k, op] of batch.ops) {
    all.delete(k)
    all.set(k, op)
  }
  return all
}

function isBuffered(key: StorageKey): boolean {
  return key.length >= 3 && BUFFERED.has(key[1] as string)
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}
