import * as A from '@automerge/automerge'
import {
  automergeWasmApi,
  useApiEntries,
  type AutomergeWasmApi,
  type WasmSyncState,
} from './automerge-wasm-api.js'

// Automerge's `generateSyncMessage` and `receiveSyncMessage` take and return a sync state as a
// plain JavaScript object: every call imports it into WebAssembly (hex heads parsed, Bloom filters
// and hash sets rebuilt) and exports the new state back (a fresh object, every head a new hex
// string). automerge-repo keeps those objects and hands them straight back on the next call; it
// reads no field of them on a relay's steady path (it reads `sharedHeads` only while it is
// requesting a document it lacks, `theirHeads` only for peers that gave a storage id, which the
// relay's devices do not). In the relay's 1 × 10 relay-cost profile the two conversions were 13%
// of its main-thread CPU, more than the sync protocol itself.
//
// Here the export hands out a proxy over a copy of the WebAssembly state whose fields are filled
// in (by the stock export) the first time anything reads, writes, lists or spreads them; an
// import of an untouched one is a copy of the kept state, with no conversion. Once filled it
// behaves as the stock object and is imported the stock way, so any reader (or writer) sees the
// stock contents. (A first version defined ten lazy getters per state: defining them cost a third
// of what it saved.) Process-wide (Automerge's API object is), idempotent, checked at install:
// if the wasm module cannot be reached or the check fails, nothing stays changed (`unsupported`).
// Its upstream change belongs in Automerge's JavaScript layer, not automerge-repo's:
// patches/README.md.

/** How {@link keepSyncStatesInWasm} took effect. */
export const WasmSyncStatesMode = {
  /** Installed now, or by an earlier call in this process. */
  installed: 'installed',
  /** Automerge's wasm module is out of reach or behaves otherwise: stock conversions stay. */
  unsupported: 'unsupported',
} as const
export type WasmSyncStatesMode = (typeof WasmSyncStatesMode)[keyof typeof WasmSyncStatesMode]

/** Counts since install, for tests and diagnostics. */
export interface WasmSyncStatesCounts {
  /** States handed out with their fields still unfilled. */
  kept: number
  /** Imports served from a kept copy (no conversion). */
  reused: number
  /** Kept states whose fields were filled because something read or wrote one. */
  filled: number
}

interface HookState {
  mode: WasmSyncStatesMode
  readonly counts: WasmSyncStatesCounts
}

const STATE_KEY = Symbol.for('tabsync.wasm-sync-states.v1')

function hookState(): HookState | undefined {
  return (globalThis as { [STATE_KEY]?: HookState })[STATE_KEY]
}

/** Behind each exported state: its WebAssembly copy until a field is touched, then the fields. */
class KeptState {
  readonly copy: WasmSyncState
  fields: Record<string, unknown> | undefined = undefined
  constructor(copy: WasmSyncState) {
    this.copy = copy
  }
}

/** Read through an exported state's proxy without filling it: its {@link KeptState}. */
const KEPT = Symbol('tabsync.kept-sync-state')

function install(api: AutomergeWasmApi, counts: WasmSyncStatesCounts): void {
  const fieldsOf = (kept: KeptState): Record<string, unknown> => {
    if (kept.fields === undefined) {
      kept.fields = api.exportSyncState(kept.copy)
      counts.filled += 1
    }
    return kept.fields
  }
  // One handler for every state: any access but the KEPT probe fills the fields (the stock
  // export) and goes to them, so the state reads, writes, spreads and serializes like a stock one.
  const handler: ProxyHandler<KeptState> = {
    get: (kept, key) => (key === KEPT ? kept : Reflect.get(fieldsOf(kept), key)),
    set: (kept, key, value) => Reflect.set(fieldsOf(kept), key, value),
    has: (kept, key) => key in fieldsOf(kept),
    ownKeys: (kept) => Reflect.ownKeys(fieldsOf(kept)),
    getOwnPropertyDescriptor: (kept, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(fieldsOf(kept), key)
      // The proxy's target does not hold the field: it may only be reported configurable.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
    },
    defineProperty: (kept, key, descriptor) =>
      Reflect.defineProperty(fieldsOf(kept), key, descriptor),
    deleteProperty: (kept, key) => Reflect.deleteProperty(fieldsOf(kept), key),
    getPrototypeOf: () => Object.prototype,
  }

  const exportSyncState = (state: WasmSyncState): object => {
    counts.kept += 1
    // The caller may free or reuse `state` (decodeSyncState frees it): keep a copy of our own.
    return new Proxy(new KeptState(state.clone()), handler)
  }

  const importSyncState = (state: unknown): WasmSyncState => {
    const kept =
      typeof state === 'object' && state !== null
        ? (state as { [KEPT]?: KeptState })[KEPT]
        : undefined
    if (!(kept instanceof KeptState) || kept.fields !== undefined) return api.importSyncState(state)
    counts.reused += 1
    // A copy again: the caller advances (or frees) what it gets.
    return kept.copy.clone()
  }

  useApiEntries({ exportSyncState, importSyncState })
}

/** Does a sync round through the hooked API give what the stock conversions give? */
function behaves(api: AutomergeWasmApi, counts: WasmSyncStatesCounts): boolean {
  const reusedBefore = counts.reused
  let a = A.change(A.init<{ n?: number }>(), (d) => {
    d.n = 1
  })
  let b = A.init<{ n?: number }>()
  let sa = A.initSyncState()
  let sb = A.initSyncState()
  for (let i = 0; i < 6; i++) {
    const [nextA, toB] = A.generateSyncMessage(a, sa)
    sa = nextA
    if (toB) [b, sb] = A.receiveSyncMessage(b, sb, toB)
    const [nextB, toA] = A.generateSyncMessage(b, sb)
    sb = nextB
    if (toA) [a, sa] = A.receiveSyncMessage(a, sa, toA)
    if (!toA && !toB) break
  }
  // The reused states encode to what a stock import of their filled fields encodes to.
  const viaKept = A.encodeSyncState(sa)
  const stock = api.importSyncState({ ...sa })
  try {
    const viaFields = A.encodeSyncState(api.exportSyncState(stock) as unknown as A.SyncState)
    return (
      b.n === 1 &&
      counts.reused > reusedBefore &&
      Buffer.from(viaKept).equals(Buffer.from(viaFields)) &&
      A.getHeads(a).join() === (sa.sharedHeads as string[]).join()
    )
  } finally {
    stock.free()
  }
}

/**
 * Keeps the sync states automerge-repo passes to and from Automerge in WebAssembly between calls
 * (process-wide, every Repo in the process). Idempotent.
 *
 * @returns `unsupported` when Automerge's wasm module is out of reach (nothing changed).
 * @example
 * if (keepSyncStatesInWasm() === WasmSyncStatesMode.unsupported) log.warn('stock sync states')
 */
export function keepSyncStatesInWasm(): WasmSyncStatesMode {
  const existing = hookState()
  if (existing) return existing.mode
  const state: HookState = {
    mode: WasmSyncStatesMode.unsupported,
    counts: { kept: 0, reused: 0, filled: 0 },
  }
  ;(globalThis as { [STATE_KEY]?: HookState })[STATE_KEY] = state
  const api = automergeWasmApi()
  if (!api) return state.mode
  try {
    install(api, state.counts)
    if (behaves(api, state.counts)) {
      state.mode = WasmSyncStatesMode.installed
      return state.mode
    }
  } catch {
    // fall through: put the stock entries back
  }
  useApiEntries({ exportSyncState: api.exportSyncState, importSyncState: api.importSyncState })
  return state.mode
}

/** Counts of the installed hook (all zero when it is not installed). */
export function wasmSyncStatesCounts(): Readonly<WasmSyncStatesCounts> {
  return { ...(hookState()?.counts ?? { kept: 0, reused: 0, filled: 0 }) }
}
