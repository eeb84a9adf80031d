/*
 * `@automerge/automerge` as the terminal's build sees it (an alias in vite.config.ts): Automerge's
 * slim entry (the same API without its own wasm loading), initialized from the wasm the start
 * chunk is already fetching and compiling (automerge-wasm.ts). Every import of Automerge in the
 * app, @tabsync/core and @tabsync/sync included, waits for this module, so none runs before the
 * wasm is in.
 */
import { initializeWasm } from '@automerge/automerge/slim'
import { automergeWasm } from './automerge-wasm.js'

// Automerge hands this to wasm-bindgen's init, which takes a compiled module as well; the
// declared parameter names only bytes, a URL or a request.
type WasmSource = Parameters<typeof initializeWasm>[0]
await initializeWasm((await automergeWasm()) as WasmSource)

export * from '@automerge/automerge/slim'
