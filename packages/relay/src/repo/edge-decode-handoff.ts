import type * as A from '@automerge/automerge'
import { automergeWasmApi, useApiEntries } from './automerge-wasm-api.js'

// The relay decodes every inbound sync message at the edge (protocol/parse-frame.ts: malformed
// data, ownership, the write guard), then automerge-repo decodes the same bytes again in
// `DocSynchronizer` (it reads only whether the sender has heads). 3% of the relay's main thread
// in the 1 × 10 relay-cost profile went to these decodes, half of it to the repo's repeat.
//
// The edge hands its decoded message over (`handOffDecoded`), keyed by the very byte array the
// frame carries into the repo; the next `decodeSyncMessage` of that array takes it (once) instead
// of decoding again. Anything else decoding sync messages is untouched: other arrays, or the same
// array a second time, are decoded as before. Process-wide and idempotent, on Automerge's API
// object through wasm `decodeSyncMessage` (automerge-wasm-api.ts); `unsupported` when out of reach.
// Why no automerge-repo patch replaces it: patches/README.md.

/** How {@link installEdgeDecodeHandoff} took effect. */
export const EdgeDecodeHandoffMode = {
  installed: 'installed',
  /** Automerge's wasm module is out of reach: the repo decodes again. */
  unsupported: 'unsupported',
} as const
export type EdgeDecodeHandoffMode =
  (typeof EdgeDecodeHandoffMode)[keyof typeof EdgeDecodeHandoffMode]

interface HandoffState {
  mode: EdgeDecodeHandoffMode
  readonly handedOver: WeakMap<Uint8Array, A.DecodedSyncMessage>
  /** Decodes answered from a handed-over message (tests, diagnostics). */
  taken: number
}

const STATE_KEY = Symbol.for('tabsync.edge-decode-handoff.v1')

function handoffState(): HandoffState | undefined {
  return (globalThis as { [STATE_KEY]?: HandoffState })[STATE_KEY]
}

/**
 * Routes Automerge's `decodeSyncMessage` through the hand-over table, process-wide. Idempotent.
 *
 * @returns `unsupported` when Automerge's wasm module is out of reach (nothing changed).
 */
export function installEdgeDecodeHandoff(): EdgeDecodeHandoffMode {
  const existing = handoffState()
  if (existing) return existing.mode
  const state: HandoffState = {
    mode: EdgeDecodeHandoffMode.unsupported,
    handedOver: new WeakMap(),
    taken: 0,
  }
  ;(globalThis as { [STATE_KEY]?: HandoffState })[STATE_KEY] = state
  const api = automergeWasmApi()
  if (!api) return state.mode
  const decode = api.decodeSyncMessage.bind(api)
  useApiEntries({
    decodeSyncMessage: (bytes: Uint8Array) => {
      const decoded = state.handedOver.get(bytes)
      if (decoded === undefined) return decode(bytes)
      state.handedOver.delete(bytes)
      state.taken += 1
      return decoded
    },
  })
  state.mode = EdgeDecodeHandoffMode.installed
  return state.mode
}

/**
 * Offers `decoded` (what `A.decodeSyncMessage(bytes)` gave the caller) to the next decode of the
 * same `bytes` array. A no-op unless {@link installEdgeDecodeHandoff} took effect. The receiver
 * must only read it (automerge-repo reads its heads).
 */
export function handOffDecoded(bytes: Uint8Array, decoded: A.DecodedSyncMessage): void {
  const state = handoffState()
  if (state?.mode === EdgeDecodeHandoffMode.installed) state.handedOver.set(bytes, decoded)
}

/** Decodes answered from a handed-over message since install (0 when not installed). */
export function edgeDecodesTaken(): number {
  return handoffState()?.taken ?? 0
}
