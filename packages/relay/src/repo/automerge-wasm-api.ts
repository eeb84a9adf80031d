import { createRequire } from 'node:module'
import path from 'node:path'
import * as A from '@automerge/automerge'

// Automerge's JavaScript layer (3.x) calls its WebAssembly module through one mutable object
// (`ApiHandler`), which `Automerge.use(api)` fills key by key. `use` is public, but nothing reads
// the current entries back, so a hook in front of one of them needs the module's own functions:
// they are taken here from the wasm-bindgen Node module the package's Node entry point loads, and
// used only after checking that it is the very instance the JavaScript layer runs (same class
// objects), else the hooks of this folder stay off. Shared by the relay's wasm hooks
// (wasm-sync-states.ts, edge-decode-handoff.ts). Where their upstream change belongs (Automerge,
// not automerge-repo): patches/README.md.

/** What the relay's hooks use of the wasm-bindgen module (`automerge_wasm.cjs`). */
export interface WasmSyncState {
  clone(): WasmSyncState
  free(): void
}

export interface AutomergeWasmApi {
  readonly Automerge: { readonly prototype: object }
  importSyncState(state: unknown): WasmSyncState
  exportSyncState(state: WasmSyncState): Record<string, unknown>
  decodeSyncMessage(bytes: Uint8Array): A.DecodedSyncMessage
}

/** The module file, relative to the package directory of `@automerge/automerge`. */
const WASM_MODULE = 'dist/mjs/wasm_bindgen_output/nodejs/automerge_wasm.cjs'

let reached: AutomergeWasmApi | null | undefined

/**
 * The wasm-bindgen module behind this process's `@automerge/automerge`, or undefined when it
 * cannot be reached or is not the instance `Automerge` runs (another build layout, a bundle).
 */
export function automergeWasmApi(): AutomergeWasmApi | undefined {
  if (reached === undefined) reached = reach() ?? null
  return reached ?? undefined
}

function reach(): AutomergeWasmApi | undefined {
  try {
    const require = createRequire(import.meta.url)
    // Resolved the way this package imports it; the package directory is the one that holds
    // `package.json` next to `dist/`.
    const entry = require.resolve('@automerge/automerge')
    const marker = `${path.sep}dist${path.sep}`
    const dir = entry.slice(0, entry.lastIndexOf(marker))
    const api = require(path.join(dir, WASM_MODULE)) as Record<string, unknown>
    const functions = ['importSyncState', 'exportSyncState', 'decodeSyncMessage', 'Automerge']
    if (!functions.every((name) => typeof api[name] === 'function')) return undefined
    const found = api as unknown as AutomergeWasmApi
    // The same instance as the JavaScript layer's: a document's backend is of this class.
    const backend = A.getBackend(A.init()) as object
    if (Object.getPrototypeOf(backend) !== found.Automerge.prototype) return undefined
    return found
  } catch {
    return undefined
  }
}

/** Replaces entries of Automerge's API object (`Automerge.use` takes a partial API). */
export function useApiEntries(entries: Partial<Record<keyof AutomergeWasmApi, unknown>>): void {
  ;(A.use as (api: object) => void)(entries)
}
