import { createRequire } from 'node:module'
import { encodeHeads } from '@automerge/automerge-repo'

// automerge-repo (2.5.6) turns hashes into base58check text through the `bs58check` package on
// every message: each document state change compares the document's heads before and after as
// base58check strings (DocHandle's change check: two encodings per head, each a double SHA-256 in
// JavaScript plus a base58 encoding), and every `find` and frame check validates a document id by
// decoding it (another double SHA-256). On the relay that was about 5% of its CPU per change in
// the 1 × 10 relay-cost profile, for the same few heads encoded over and over: the heads a change
// produced are encoded again for each device's acknowledgement.
//
// These are pure functions of their input, so they are memoized here, at run time, on the one
// `bs58check` object automerge-repo calls (its functions are looked up on that object at each
// call). Results are identical; decoded bytes are handed out as fresh copies. Bounded: a table
// that fills up is cleared. Installed once per process and checked to take effect through
// automerge-repo's own `encodeHeads`; if automerge-repo no longer calls `bs58check` this way,
// nothing is changed and the caller is told `unsupported`.
// Upstream form, for the per-update heads comparisons only (ids are still checksummed on every
// find): patches/automerge-repo/07-compare-hex-heads.patch (patches/README.md).

/** The part of `bs58check`'s default export automerge-repo uses. */
interface Base58Check {
  encode(payload: Uint8Array): string
  decode(text: string): Uint8Array
  decodeUnsafe(text: string): Uint8Array | undefined
}

/** How {@link memoizeBase58Check} took effect. */
export const Base58CheckMemoMode = {
  /** Installed now, or already by an earlier call (another relay in this process). */
  memoized: 'memoized',
  /** automerge-repo does not go through a `bs58check` object this process can reach. */
  unsupported: 'unsupported',
} as const
export type Base58CheckMemoMode = (typeof Base58CheckMemoMode)[keyof typeof Base58CheckMemoMode]

/** Entries per table before it is cleared (a head or id and its text: about 150 bytes each). */
export const BASE58CHECK_MEMO_ENTRIES = 20_000

interface MemoState {
  mode: Base58CheckMemoMode
  /** Calls of the memoized `encode` (the install check reads it). */
  encodeCalls: number
}

const STATE_KEY = Symbol.for('tabsync.base58check-memo.v1')

function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** Adds a bounded memo in front of `fn` (`copy` hands out a fresh value on every hit). */
function memo<K, V>(
  fn: (input: K) => V,
  keyOf: (input: K) => string | undefined,
  copy: (value: V) => V,
): (input: K) => V {
  const table = new Map<string, V>()
  return (input) => {
    const key = keyOf(input)
    if (key === undefined) return fn(input)
    const known = table.get(key)
    if (known !== undefined) return copy(known)
    const value = fn(input)
    if (value === undefined) return value // invalid input: not kept (it may come from anyone)
    if (table.size >= BASE58CHECK_MEMO_ENTRIES) table.clear()
    table.set(key, value)
    return copy(value)
  }
}

function install(codec: Base58Check, state: MemoState): void {
  const encode = codec.encode.bind(codec)
  const memoEncode = memo(
    encode,
    (payload: Uint8Array) => (payload instanceof Uint8Array ? bytesKey(payload) : undefined),
    (text) => text,
  )
  codec.encode = (payload) => {
    state.encodeCalls += 1
    return memoEncode(payload)
  }
  const textKey = (text: string) => (typeof text === 'string' ? text : undefined)
  const copyBytes = (bytes: Uint8Array) => bytes.slice()
  // `decode` throws on a bad checksum: nothing is kept then, and the caller sees the same error.
  codec.decode = memo(codec.decode.bind(codec), textKey, copyBytes)
  codec.decodeUnsafe = memo(codec.decodeUnsafe.bind(codec), textKey, (bytes) =>
    bytes === undefined ? bytes : bytes.slice(),
  )
}

/** The `bs58check` object as automerge-repo resolves it (same package directory lookup). */
function reachCodec(): Base58Check | undefined {
  try {
    const loaded = createRequire(import.meta.url)('bs58check') as Partial<Base58Check> | null
    if (
      typeof loaded?.encode === 'function' &&
      typeof loaded.decode === 'function' &&
      typeof loaded.decodeUnsafe === 'function'
    )
      return loaded as Base58Check
  } catch {
    // not installed where this package can see it
  }
  return undefined
}

/**
 * Memoizes the base58check encodings automerge-repo computes on every message, process-wide
 * (pure functions: every Repo in the process gets the same results, sooner). Idempotent.
 *
 * @returns `unsupported` when automerge-repo's calls do not reach the memo (nothing changed).
 * @example
 * if (memoizeBase58Check() === Base58CheckMemoMode.unsupported) log.warn('no base58 memo')
 */
export function memoizeBase58Check(): Base58CheckMemoMode {
  const global = globalThis as { [STATE_KEY]?: MemoState }
  const existing = global[STATE_KEY]
  if (existing) return existing.mode
  const state: MemoState = { mode: Base58CheckMemoMode.unsupported, encodeCalls: 0 }
  global[STATE_KEY] = state
  const codec = reachCodec()
  if (!codec) return state.mode
  const original = { ...codec }
  install(codec, state)
  // Does automerge-repo go through this object? Encode a head through its own export.
  const head = '00'.repeat(32)
  const before = state.encodeCalls
  const encoded = encodeHeads([head])[0]
  const reached = state.encodeCalls > before && encoded === original.encode(new Uint8Array(32))
  if (!reached) {
    Object.assign(codec, original)
    return state.mode
  }
  state.mode = Base58CheckMemoMode.memoized
  return state.mode
}
