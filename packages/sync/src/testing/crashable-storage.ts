import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { keysByDocument, type DocumentKeyListing, type KeyListing } from '../storage/key-listing.js'
import { hasPrefix, keyString, parseKey } from '../storage/memory-storage.js'

/** Options of {@link createCrashableStorage}. */
export interface CrashableStorageOptions {
  /** Random source for write latency. */
  readonly random?: () => number
  /** Write latency range, ms (timers: fake or real). Default 1..10. */
  readonly minWriteMs?: number
  readonly maxWriteMs?: number
}

/** A disk that can lose power. See {@link createCrashableStorage}. */
export interface CrashableStorage {
  /**
   * The adapter of the current "process". Call again after {@link crash} to get the adapter a
   * restarted device reads the surviving data through; older adapters are dead (their calls
   * never settle, like calls of a process that no longer exists).
   */
  adapter(): StorageAdapterInterface
  /** Power loss: writes that have not completed are lost, the current adapter dies. */
  crash(): void
  /** Keys whose writes completed (what survives a crash). */
  durableKeys(): string[][]
  /** Writes issued and not yet completed. */
  pendingWrites(): number
}

interface Op {
  readonly apply: (m: Map<string, Uint8Array>) => void
  readonly resolve: () => void
  timer?: ReturnType<typeof setTimeout>
  /** Its latency has elapsed; it completes once every earlier write has. */
  elapsed: boolean
}

/**
 * An in-memory storage adapter whose writes take time and complete in the order they were
 * issued. Reads see every issued write (the page cache); a {@link CrashableStorage.crash}
 * keeps only completed writes (the disk). A write's promise resolves when it completes, so
 * `repo.flush()` resolving means "on disk", as with a real adapter.
 */
export function createCrashableStorage(options: CrashableStorageOptions = {}): CrashableStorage {
  const random = options.random ?? Math.random
  const min = options.minWriteMs ?? 1
  const max = options.maxWriteMs ?? 10
  let durable = new Map<string, Uint8Array>()
  let volatile = new Map<string, Uint8Array>()
  let generation = 0
  // Writes in issue order. A timer only marks its write elapsed; writes complete from the front,
  // so the order never depends on which timer fires first. (Deadlines computed from Date.now()
  // did not ensure it: timers run on libuv's clock, rounded differently, so two writes given
  // the same deadline could fire in reverse and the earlier value survived a crash.)
  const queue: Op[] = []

  const never = <T>() => new Promise<T>(() => undefined)

  const drain = () => {
    for (let op = queue[0]; op?.elapsed; op = queue[0]) {
      queue.shift()
      op.apply(durable)
      op.resolve()
    }
  }

  const write = (gen: number, apply: (m: Map<string, Uint8Array>) => void): Promise<void> => {
    if (gen !== generation) return never()
    apply(volatile)
    const latency = min + Math.floor(random() * (max - min + 1))
    return new Promise<void>((resolve) => {
      const op: Op = { apply, resolve, elapsed: false }
      op.timer = setTimeout(() => {
        op.elapsed = true
        drain()
      }, latency)
      queue.push(op)
    })
  }

  const makeAdapter = (gen: number): StorageAdapterInterface & KeyListing & DocumentKeyListing => ({
    async load(key: StorageKey) {
      if (gen !== generation) return never()
      return volatile.get(keyString(key))
    },
    save(key: StorageKey, data: Uint8Array) {
      const copy = data.slice()
      return write(gen, (m) => m.set(keyString(key), copy))
    },
    remove(key: StorageKey) {
      return write(gen, (m) => m.delete(keyString(key)))
    },
    async loadRange(prefix: StorageKey): Promise<Chunk[]> {
      if (gen !== generation) return never()
      return [...volatile]
        .filter(([k]) => hasPrefix(k, prefix))
        .map(([k, data]) => ({ key: parseKey(k), data }))
    },
    // Listed without values, as the file and IndexedDB adapters can (see key-listing.ts).
    async listKeys(prefix: StorageKey): Promise<StorageKey[]> {
      if (gen !== generation) return never()
      return [...volatile.keys()].filter((k) => hasPrefix(k, prefix)).map(parseKey)
    },
    async listDocumentKeys(ids: readonly string[]): Promise<Map<string, StorageKey[]>> {
      if (gen !== generation) return never()
      return keysByDocument(ids, [...volatile.keys()].map(parseKey))
    },
    removeRange(prefix: StorageKey) {
      return write(gen, (m) => {
        for (const k of [...m.keys()]) if (hasPrefix(k, prefix)) m.delete(k)
      })
    },
  })

  let current = makeAdapter(generation)
  return {
    adapter() {
      return current
    },
    crash() {
      for (const op of queue) clearTimeout(op.timer)
      queue.length = 0
      generation++
      volatile = new Map(durable)
      durable = new Map(durable)
      current = makeAdapter(generation)
    },
    durableKeys() {
      return [...durable.keys()].map(parseKey)
    },
    pendingWrites() {
      return queue.length
    },
  }
}
