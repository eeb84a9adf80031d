import * as A from '@automerge/automerge'
import { expect, test, vi } from 'vitest'

// Automerge's wasm module out of reach (another build layout, a bundle): the hooks report
// `unsupported`, change nothing of Automerge's API, and the edge's hand-over is a no-op.
const useApiEntries = vi.fn()
vi.mock('./automerge-wasm-api.js', () => ({
  automergeWasmApi: () => undefined,
  useApiEntries,
}))

// Installation state is process-wide: start from none, whatever ran before in this worker.
for (const key of [
  'tabsync.wasm-sync-states.v1',
  'tabsync.edge-decode-handoff.v1',
  'tabsync.unchanged-doc-shortcut.v1',
])
  delete (globalThis as Record<symbol, unknown>)[Symbol.for(key)]

const { keepSyncStatesInWasm, wasmSyncStatesCounts, WasmSyncStatesMode } =
  await import('./wasm-sync-states.js')
const { edgeDecodesTaken, EdgeDecodeHandoffMode, handOffDecoded, installEdgeDecodeHandoff } =
  await import('./edge-decode-handoff.js')
const { shortcutUnchangedDocs, unchangedDocsAnswered, UnchangedDocShortcutMode } =
  await import('./unchanged-doc-shortcut.js')

test('without the wasm module every hook says unsupported and leaves Automerge as it is', () => {
  expect(keepSyncStatesInWasm()).toBe(WasmSyncStatesMode.unsupported)
  expect(installEdgeDecodeHandoff()).toBe(EdgeDecodeHandoffMode.unsupported)
  expect(shortcutUnchangedDocs()).toBe(UnchangedDocShortcutMode.unsupported)
  expect(useApiEntries).not.toHaveBeenCalled()
  // Stock behaviour: a sync round works, states are plain objects, decodes are not handed over.
  const a = A.from({ n: 1 })
  const [state, message] = A.generateSyncMessage(a, A.initSyncState())
  expect(Object.getOwnPropertyDescriptor(state, 'sharedHeads')?.get).toBeUndefined()
  const decoded = A.decodeSyncMessage(message!)
  handOffDecoded(message!, decoded)
  expect(A.decodeSyncMessage(message!)).not.toBe(decoded)
  expect(edgeDecodesTaken()).toBe(0)
  expect(wasmSyncStatesCounts()).toEqual({ kept: 0, reused: 0, filled: 0 })
  // An acknowledgement received goes through WebAssembly as before.
  let b = A.init<{ n?: number }>()
  ;[b] = A.receiveSyncMessage(b, A.initSyncState(), message!)
  const [, ack] = A.generateSyncMessage(b, A.initSyncState())
  A.receiveSyncMessage(a, state, ack!)
  expect(unchangedDocsAnswered()).toBe(0)
})
