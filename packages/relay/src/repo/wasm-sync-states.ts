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
// Here the export hands out an object that keeps a copy of the WebAssembly state and whose fields
// are filled in (by the stock export) the first time any of them is read or written; an import of
// such an untouched object is a copy of the kept state, with no conversion. A field read makes
// it an ordinary object, imported the stock way from then on, so any reader (or writer) sees the
// stock contents. Process-wide (Automerge's API object is), idempotent, checked at install:
// if the wasm module cannot be reached or the check fails, nothing stays changed (`unsupported`).

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

/** The fields of an exported sync state (taken from a stock export at install). */
function fieldsOf(api: AutomergeWasmApi): readonly string[] {
  const fresh = A.initSyncState()
  const wasm = api.importSyncState(fresh)
  try {
    return Object.keys(api.exportSyncState(wasm))
  } finally {
    wasm.free()
  }
}

function install(api: AutomergeWasmApi, counts: WasmSyncStatesCounts): void {
  const fields = fieldsOf(api)
  /** Untouched exported states and their own WebAssembly copy. */
  const kept = new WeakMap<object, WasmSyncState>()

  const exportSyncState = (state: WasmSyncState): object => {
    // The caller may free or reuse `state` (decodeSyncState frees it): keep a copy of our own.
    const copy = state.clone()
    const exported: Record<string, unknown> = {}
    const fill = (): void => {
      if (!kept.delete(exported)) return
      counts.filled += 1
      const full = api.exportSyncState(copy)
      for (const key of fields)
        Object.defineProperty(exported, key, {
          value: full[key],
          writable: true,
          enumerable: true,
          configurable: true,
        })
    }
    for (const key of fields)
      Object.defineProperty(exported, key, {
        enumerable: true,
        configurable: true,
        get() {
          fill()
          return exported[key]
        },
        set(value: unknown) {
          fill()
          exported[key] = value
        },
      })
    kept.set(exported, copy)
    counts.kept += 1
    return exported
  }

  const importSyncState = (state: unknown): WasmSyncState => {
    const copy = typeof state === 'object' && state !== null ? kept.get(state) : undefined
    if (copy === undefined) return api.importSyncState(state)
    counts.reused += 1
    // A copy again: the caller advances (or frees) what it gets.
    return copy.clone()
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
