import * as A from '@automerge/automerge'
import { automergeWasmApi } from './automerge-wasm-api.js'

// After every `receiveSyncMessage` (and `change`, `applyChanges`...) Automerge's JavaScript layer
// asks WebAssembly for the next document object: `applyAndReturnPatches(doc, meta)` diffs what
// changed since that object was made and builds a new root (a shallow copy, the patches applied,
// the new metadata). Most messages a relay receives are acknowledgements that carry no change:
// the diff is empty and the new root is the old one's properties under new metadata, yet the
// call costs as much as a small change (20-300 µs measured per acknowledgement, most of a
// relay's messages: 8 of the 9 it receives per change at 1 × 10).
//
// This answers those calls in JavaScript: for a document object this hook saw made at heads H,
// when the document's heads are still H there is nothing to diff, and the new root is built as
// WebAssembly builds it for an empty diff (same enumerable properties in the same order, the
// same hidden object id and datatype, the new metadata, frozen when the metadata says so). Every
// other call (objects made elsewhere, any new change) goes to WebAssembly as before.
// Process-wide, on the wasm `Automerge` class's prototype (reached through automerge-wasm-api.ts),
// idempotent; checked at install against WebAssembly's own answer, else left off (`unsupported`).
// Its upstream change belongs in Automerge's JavaScript layer, not automerge-repo's:
// patches/README.md.

/** How {@link shortcutUnchangedDocs} took effect. */
export const UnchangedDocShortcutMode = {
  installed: 'installed',
  /** The wasm class is out of reach or answers otherwise: every call goes to WebAssembly. */
  unsupported: 'unsupported',
} as const
export type UnchangedDocShortcutMode =
  (typeof UnchangedDocShortcutMode)[keyof typeof UnchangedDocShortcutMode]

interface Backend {
  getHeads(): string[]
  applyAndReturnPatches(doc: object, meta: object): { value: object; patches: unknown[] }
}

interface ShortcutState {
  mode: UnchangedDocShortcutMode
  /** Calls answered in JavaScript (tests, diagnostics). */
  answered: number
}

const STATE_KEY = Symbol.for('tabsync.unchanged-doc-shortcut.v1')
/** Automerge's hidden property for a root's metadata (`Symbol.for`, so shared by every copy). */
const META = Symbol.for('_am_meta')

function shortcutState(): ShortcutState | undefined {
  return (globalThis as { [STATE_KEY]?: ShortcutState })[STATE_KEY]
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The root WebAssembly builds from `doc` for an empty diff, with `meta` as its metadata. */
function rerooted(doc: object, meta: object): object {
  const next: Record<string | symbol, unknown> = {}
  for (const key of Object.keys(doc)) next[key] = (doc as Record<string, unknown>)[key]
  for (const key of Object.getOwnPropertySymbols(doc)) {
    if (key === META) continue
    const descriptor = Object.getOwnPropertyDescriptor(doc, key)
    if (descriptor) Object.defineProperty(next, key, descriptor)
  }
  Object.defineProperty(next, META, { value: meta })
  if ((meta as { freeze?: unknown }).freeze) Object.freeze(next)
  return next
}

function install(proto: Backend, state: ShortcutState): void {
  const apply = proto.applyAndReturnPatches
  /** Heads each document object this hook handed out was made at. */
  const madeAt = new WeakMap<object, string[]>()
  proto.applyAndReturnPatches = function (this: Backend, doc: object, meta: object) {
    const known = madeAt.get(doc)
    const heads = this.getHeads()
    if (known !== undefined && sameHeads(known, heads)) {
      const value = rerooted(doc, meta)
      madeAt.set(value, heads)
      state.answered += 1
      return { value, patches: [] }
    }
    const result = apply.call(this, doc, meta)
    madeAt.set(result.value, heads)
    return result
  }
}

/** Same own properties (order of string keys included), descriptors, prototype, frozenness. */
function sameShape(a: object, b: object): boolean {
  const keysA = Reflect.ownKeys(a)
  const keysB = Reflect.ownKeys(b)
  if (keysA.length !== keysB.length) return false
  const strings = (keys: (string | symbol)[]) => keys.filter((k) => typeof k === 'string').join()
  if (strings(keysA) !== strings(keysB)) return false
  for (const key of keysA) {
    const da = Object.getOwnPropertyDescriptor(a, key)
    const db = Object.getOwnPropertyDescriptor(b, key)
    if (
      !da ||
      !db ||
      da.value !== db.value ||
      da.writable !== db.writable ||
      da.enumerable !== db.enumerable ||
      da.configurable !== db.configurable
    )
      return false
  }
  return (
    Object.getPrototypeOf(a) === Object.getPrototypeOf(b) &&
    Object.isFrozen(a) === Object.isFrozen(b)
  )
}

/** Does the JavaScript root match WebAssembly's for an empty diff, frozen documents or not? */
function answersLikeWasm(original: Backend['applyAndReturnPatches']): boolean {
  for (const freeze of [false, true]) {
    const doc = A.change(A.init<Record<string, unknown>>({ freeze }), (d) => {
      d['a'] = 1
      d['b'] = { c: 2 }
      d['t'] = 'text'
    })
    const backend = A.getBackend(doc) as unknown as Backend
    const meta = { ...(doc as unknown as Record<symbol, object>)[META], heads: undefined }
    // A throwaway document: nothing changed since it was made, so WebAssembly's diff is empty.
    const fromWasm = original.call(backend, doc, meta)
    if (fromWasm.patches.length !== 0 || !sameShape(fromWasm.value, rerooted(doc, meta)))
      return false
  }
  return true
}

/**
 * Builds the next document object in JavaScript when nothing changed since the last one
 * (process-wide). Idempotent.
 *
 * @returns `unsupported` when the wasm class is out of reach (nothing changed).
 */
export function shortcutUnchangedDocs(): UnchangedDocShortcutMode {
  const existing = shortcutState()
  if (existing) return existing.mode
  const state: ShortcutState = { mode: UnchangedDocShortcutMode.unsupported, answered: 0 }
  ;(globalThis as { [STATE_KEY]?: ShortcutState })[STATE_KEY] = state
  const proto = automergeWasmApi()?.Automerge.prototype as Partial<Backend> | undefined
  if (
    typeof proto?.applyAndReturnPatches !== 'function' ||
    typeof proto.getHeads !== 'function' ||
    !answersLikeWasm(proto.applyAndReturnPatches)
  )
    return state.mode
  install(proto as Backend, state)
  state.mode = UnchangedDocShortcutMode.installed
  return state.mode
}

/** Calls answered in JavaScript since install (0 when not installed). */
export function unchangedDocsAnswered(): number {
  return shortcutState()?.answered ?? 0
}
