/*
 * Automerge's WebAssembly (3.6 MB), fetched and compiled from the start chunk, alongside the app
 * chunk's download instead of after it. Automerge's own browser entry fetches its wasm only when
 * the app chunk runs, so a start waited for the app chunk, then the wasm, then its compilation,
 * one after the other (issue 15). Streaming compilation runs off the main thread as the bytes
 * arrive. The app's Automerge is initialized from this (automerge-start.ts).
 */
import wasmUrl from '@automerge/automerge/automerge.wasm?url'

let compiled: Promise<WebAssembly.Module | string> | undefined

/**
 * Starts fetching and compiling Automerge's wasm on the first call; every call resolves with the
 * compiled module, or with the wasm's URL when that failed (Automerge then fetches it itself, as
 * it would have).
 */
export function automergeWasm(): Promise<WebAssembly.Module | string> {
  compiled ??= WebAssembly.compileStreaming(fetch(wasmUrl)).catch((e: unknown) => {
    console.warn(`tabsync: Automerge's wasm did not compile early (${String(e)}); loading it late`)
    return wasmUrl
  })
  return compiled
}
