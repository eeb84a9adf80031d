import * as A from '@automerge/automerge'

/** What {@link ChangeExpander.expand} found in a sync message's chunks. */
export interface ExpandedChanges {
  /** The changes the chunks bring that the relay's copy does not hold, as plain changes. */
  readonly changes: readonly Uint8Array[]
  /** Some change depends on one neither the relay nor the message has: it cannot be judged. */
  readonly missingDeps: boolean
}

/** Automerge's storage chunk header: 4 magic bytes, 4 checksum bytes, then the chunk type. */
const CHUNK_TYPE_OFFSET = 8
const CHANGE_CHUNK = 1

/** The Automerge wasm document behind a JS document value (the calls used here). */
interface Backend {
  fork(): Backend
  free(): void
  getHeads(): string[]
  getChanges(haveDeps: string[]): Uint8Array[]
  getChangesAdded(other: Backend): Uint8Array[]
  applyChanges(changes: Uint8Array[]): void
  loadIncremental(data: Uint8Array): number
  getMissingDeps(heads: string[]): string[]
}

const DEFAULT_CAPACITY = 256

/** Whether `chunk` is exactly one plain change. */
function isSingleChange(chunk: Uint8Array): boolean {
  if (chunk[CHUNK_TYPE_OFFSET] !== CHANGE_CHUNK) return false
  try {
    A.decodeChange(chunk)
    return true
  } catch {
    return false
  }
}

/**
 * Turns the chunks of an inbound sync message into plain changes for the write guard.
 *
 * Automerge 3 sends changes in sync messages as document chunks, which `decodeChange` cannot
 * read; they can only be read by loading them on top of a document that has their dependencies.
 * Cloning the relay's document for every message (`A.clone` + `A.loadIncremental`, which also
 * materializes the whole document and its patches in JavaScript) cost about 17-29 ms per message
 * on a 50-line order, more than everything else the relay does for a change. This keeps one
 * wasm-only replica per document instead: forked once from the relay's copy, brought up to it by
 * the changes it lacks (usually none or one), then the message's chunks are loaded into it and
 * the new changes read back. A replica only ever holds the relay's changes plus changes the guard
 * allowed (which the repo is about to apply); after a refusal it is dropped.
 */
export class ChangeExpander {
  readonly #capacity: number
  /** documentId -> replica; insertion order is the LRU order. */
  readonly #replicas = new Map<string, Backend>()

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity
  }

  /** Replicas held (tests). */
  get size(): number {
    return this.#replicas.size
  }

  /**
   * The changes `chunks` bring on top of `doc` (the relay's copy, undefined when it holds none).
   * The replica then holds them: call {@link refused} if the caller does not let them through.
   */
  expand(
    documentId: string,
    doc: A.Doc<unknown> | undefined,
    chunks: readonly Uint8Array[],
  ): ExpandedChanges {
    // Plain change chunks need no document to be read. A change-type chunk may also hold several
    // changes back to back (a stock client's sync message did), which `decodeChange` refuses
    // ("leftover data after parsing"): those go through the replica, which reads any of them.
    if (chunks.every(isSingleChange)) return { changes: chunks, missingDeps: false }
    const replica = this.#replica(documentId, doc)
    try {
      const before = replica.getHeads()
      for (const chunk of chunks) replica.loadIncremental(chunk)
      return {
        changes: replica.getChanges(before),
        missingDeps: replica.getMissingDeps([]).length > 0,
      }
    } catch (e) {
      this.refused(documentId) // a chunk it could not read may have left it half loaded
      throw e
    }
  }

  /** The changes last expanded for `documentId` are not going through: forget its replica. */
  refused(documentId: string): void {
    this.#replicas.get(documentId)?.free()
    this.#replicas.delete(documentId)
  }

  /** Frees every replica. */
  clear(): void {
    for (const r of this.#replicas.values()) r.free()
    this.#replicas.clear()
  }

  #replica(documentId: string, doc: A.Doc<unknown> | undefined): Backend {
    const relay = doc === undefined ? undefined : (A.getBackend(doc) as unknown as Backend)
    let replica = this.#replicas.get(documentId)
    if (replica) {
      this.#replicas.delete(documentId) // re-inserted below: most recently used
      // Changes the relay got elsewhere since (other devices' frames, upstream, a reload).
      if (relay) {
        const lacking = replica.getChangesAdded(relay)
        if (lacking.length > 0) replica.applyChanges(lacking)
      }
    } else {
      replica = relay ? relay.fork() : (A.getBackend(A.init()) as unknown as Backend)
      if (this.#replicas.size >= this.#capacity) {
        const [oldest, r] = this.#replicas.entries().next().value as [string, Backend]
        r.free()
        this.#replicas.delete(oldest)
      }
    }
    this.#replicas.set(documentId, replica)
    return replica
  }
}
