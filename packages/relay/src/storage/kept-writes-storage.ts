import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import { RelayError, RelayErrorKind, isRelayError } from '../errors.js'

/** Options of {@link KeptWritesStorage}. */
export interface KeptWritesOptions {
  /** A document write failed and was kept (`retried`: a kept write failed again). */
  readonly onFailure: (error: RelayError, key: StorageKey, retried: boolean) => void
  /** May a kept write of `key` be tried again now? (Cluster: this node holds its store.) */
  readonly mayRetry?: (key: StorageKey) => boolean
  /** Period (ms) of the retry of kept writes while there are any. Default 2 000. */
  readonly retryMs?: number
  /** The bytes held in memory changed (a write kept, stored at last, or made moot). */
  readonly onKeptBytes?: (bytes: number) => void
}

/** One kept operation: bytes to save, or null for a removal. */
interface KeptOp {
  readonly key: StorageKey
  readonly data: Uint8Array | null
}

const SEP = '\u0000'
/** automerge-repo's own document chunks, saved from its unobserved save throttle. */
const DOCUMENT_CHUNKS = new Set(['incremental', 'snapshot', 'sync-state'])

/**
 * Document writes that never reject into automerge-repo: a failed one is reported, kept in
 * order, and written later.
 *
 * Why: automerge-repo saves a document from a throttled `heads-changed` listener whose promise
 * nobody awaits, so a refused save (PostgreSQL down, or a write fenced off after the store's
 * lease was lost) was an unhandled rejection, which ends a Node process without a process-wide
 * handler. Here the failure goes to `onFailure` (the relay logs it, counts it, gives the store
 * up) and the save resolves. Nothing is lost: automerge-repo now believes the bytes stored (it
 * moves its stored heads on and will not save those changes again), so they are kept exactly as
 * given; reads see them; later writes of the same document queue behind them (a compaction's
 * removals never overtake the snapshot that replaces what they remove); and they are written
 * by {@link retry} (the relay calls it when it takes a store back), every `retryMs` while
 * `mayRetry` allows, and by {@link flush} at shutdown. Other keys (the relay's ownership and
 * revocation records) are written through: their callers await them and refuse on failure.
 */
export class KeptWritesStorage implements StorageAdapterInterface {
  readonly inner: StorageAdapterInterface
  readonly #options: KeptWritesOptions
  /** Document id -> its kept operations, oldest first. */
  readonly #kept = new Map<string, KeptOp[]>()
  readonly #draining = new Map<string, Promise<void>>()
  #keptBytes = 0
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(inner: StorageAdapterInterface, options: KeptWritesOptions) {
    this.inner = inner
    this.#options = options
  }

  /** Kept (not yet stored) document writes. */
  get keptWrites(): number {
    let n = 0
    for (const ops of this.#kept.values()) n += ops.length
    return n
  }

  /** Bytes of document content held in memory by the kept writes (what a bound limits). */
  get keptBytes(): number {
    return this.#keptBytes
  }

  /** Ids of the documents with kept writes. */
  keptDocuments(): IterableIterator<string> {
    return this.#kept.keys()
  }

  /** Kept writes that `mayRetry` allows now: storage is failing for a store this node serves. */
  get retryableWrites(): number {
    let n = 0
    for (const ops of this.#kept.values())
      for (const op of ops) if (this.#options.mayRetry?.(op.key) ?? true) n += 1
    return n
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const kept = this.#latest(key)
    if (kept) return kept.data ?? undefined
    return this.inner.load(key)
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const stored = await this.inner.loadRange(keyPrefix)
    const latest = new Map<string, KeptOp>()
    for (const [doc, ops] of this.#kept) {
      if (keyPrefix.length > 0 && doc !== keyPrefix[0]) continue
      for (const op of ops)
        if (keyPrefix.every((part, i) => op.key[i] === part)) latest.set(op.key.join(SEP), op)
    }
    if (latest.size === 0) return stored
    return [
      ...stored.filter((c) => !latest.has(c.key.join(SEP))),
      ...[...latest.values()].flatMap((op) => (op.data ? [{ key: op.key, data: op.data }] : [])),
    ]
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (!isDocumentChunk(key)) return this.inner.save(key, data)
    return this.#write({ key: [...key], data })
  }

  remove(key: StorageKey): Promise<void> {
    if (!isDocumentChunk(key)) return this.inner.remove(key)
    return this.#write({ key: [...key], data: null })
  }

  async removeRange(keyPrefix: StorageKey): Promise<void> {
    // Kept writes under the prefix are moot once it is removed.
    for (const doc of [...this.#kept.keys()]) {
      if (keyPrefix.length > 0 && doc !== keyPrefix[0]) continue
      await this.#draining.get(doc)
      // Read after the drain: it may have emptied (and dropped) the document's queue meanwhile.
      const ops = this.#kept.get(doc)
      if (!ops) continue
      const rest = ops.filter((op) => !keyPrefix.every((part, i) => op.key[i] === part))
      this.#addBytes(sizeOf(rest) - sizeOf(ops))
      if (rest.length > 0) this.#kept.set(doc, rest)
      else this.#kept.delete(doc)
    }
    await this.inner.removeRange(keyPrefix)
  }

  /** Tries the kept writes now (those `mayRetry` allows); resolves when that attempt is over. */
  async retry(): Promise<void> {
    await Promise.all([...this.#kept.keys()].map((doc) => this.#drain(doc)))
  }

  /** Last attempt (shutdown): tries every kept write; resolves with how many stay unstored. */
  async flush(): Promise<number> {
    await this.retry()
    this.#stopTimer()
    return this.keptWrites
  }

  async #write(op: KeptOp): Promise<void> {
    const doc = op.key[0] as string
    const queued = this.#kept.get(doc)
    if (queued) {
      // Behind the document's kept writes, never before them.
      queued.push(op)
      this.#addBytes(sizeOf([op]))
      return
    }
    try {
      await (op.data ? this.inner.save(op.key, op.data) : this.inner.remove(op.key))
    } catch (err) {
      this.#keep(doc, [op], err)
    }
  }

  #keep(doc: string, ops: readonly KeptOp[], err: unknown): void {
    const queued = this.#kept.get(doc) ?? []
    this.#kept.set(doc, [...ops, ...queued])
    this.#addBytes(sizeOf(ops))
    this.#startTimer()
    this.#options.onFailure(asStorageError(err), ops[0]!.key, false)
  }

  /** Writes one document's kept operations in order, stopping at the first failure. */
  #drain(doc: string): Promise<void> {
    let running = this.#draining.get(doc)
    if (running) return running
    running = (async () => {
      for (;;) {
        const ops = this.#kept.get(doc)
        const op = ops?.[0]
        if (!ops || !op) {
          this.#kept.delete(doc)
          break
        }
        if (this.#options.mayRetry && !this.#options.mayRetry(op.key)) break
        try {
          await (op.data ? this.inner.save(op.key, op.data) : this.inner.remove(op.key))
        } catch (err) {
          this.#options.onFailure(asStorageError(err), op.key, true)
          break
        }
        ops.shift()
        this.#addBytes(-sizeOf([op]))
      }
      if (this.#kept.size === 0) this.#stopTimer()
    })().finally(() => this.#draining.delete(doc))
    this.#draining.set(doc, running)
    return running
  }

  #addBytes(delta: number): void {
    if (delta === 0) return
    this.#keptBytes += delta
    this.#options.onKeptBytes?.(this.#keptBytes)
  }

  #latest(key: StorageKey): KeptOp | undefined {
    const ops = this.#kept.get(key[0] ?? '')
    if (!ops) return undefined
    const joined = key.join(SEP)
    for (let i = ops.length - 1; i >= 0; i--) if (ops[i]!.key.join(SEP) === joined) return ops[i]
    return undefined
  }

  #startTimer(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => void this.retry(), this.#options.retryMs ?? 2000)
    this.#timer.unref?.()
  }

  #stopTimer(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/** Content bytes of kept operations (a removal holds none). */
function sizeOf(ops: readonly KeptOp[]): number {
  let n = 0
  for (const op of ops) n += op.data?.byteLength ?? 0
  return n
}

function isDocumentChunk(key: StorageKey): boolean {
  return key.length >= 3 && DOCUMENT_CHUNKS.has(key[1] as string)
}

/** The failure as the relay's typed error (a PostgreSQL adapter already throws one). */
function asStorageError(err: unknown): RelayError {
  if (isRelayError(err)) return err
  return new RelayError(RelayErrorKind.storage, 'write-failed', 'Storage write failed', {
    cause: err,
  })
}
