// automerge-repo (2.5.6) opens a document at about three times the cost of one `Automerge.load`:
// - `StorageSubsystem.loadDoc` loads the stored chunks with `loadIncremental(init(), bytes)`,
//   which builds the document from patches in JavaScript (about 5× `Automerge.load` once warm);
// - `Repo.import(bytes, { docId })` does the same onto the new handle's empty document;
// - `DocHandle` then diffs the new document from no heads (`A.diff`) for its first change event,
//   even when nothing listens to it (about one load more).
//
// This makes each of those one `Automerge.load` for a Repo that asks for it, at run time and
// with no patch step (the probe pattern of sync-throttle.ts and begin-sync-guard.ts):
// - `Repo.prototype.import` of a document the Repo has no handle for loads the bytes with
//   `Automerge.load` and hands that document to the new handle's first update (DocHandle's
//   `update` is intercepted for that one call), in automerge-repo's own order: the handle is
//   created, updated, then registered with storage and sync, as stock;
// - `StorageSubsystem.prototype.loadDoc` loads the chunks (`loadDocData`, which records them as
//   stock does) with `Automerge.load`. automerge-repo's record of the heads it stored is private,
//   so this keeps its own per document; `saveDoc` of a document at those heads writes nothing (as
//   stock, which skips a save when nothing changed), and the first save after a change goes to
//   stock `saveDoc`, which, knowing no stored heads, compacts: one snapshot of the whole document
//   replaces the chunks it was loaded from (stock would write only the new changes). Nothing is
//   lost either way; the next saves are stock incrementals;
// - a document handed to a handle that nobody listens to for changes carries an empty cached
//   diff (Automerge's own `mostRecentPatch` cache, which `A.diff` answers from), so the handle
//   skips the diff from no heads; the cache is cleared right after, so no later `A.diff` sees it.
// Bytes `Automerge.load` refuses (a chunk with missing dependencies, say) go the stock way.
// If automerge-repo's internals no longer look like this, nothing is changed and the caller is
// told `unsupported`.
// Upstream form (patches/README.md): patches/automerge-repo/04-load-stored-doc-in-one-step.patch,
// patches/automerge-repo/05-import-new-doc-in-one-step.patch and
// patches/automerge-repo/06-diff-only-when-heard.patch; with them stock keeps its own stored
// heads, so the save part here has no counterpart.

import {
  probeHandle,
  synchronizerOf,
  type CollectionSynchronizerLike,
  type RepoLike,
} from './repo-internals.js'

/** The Automerge functions the hook loads with: pass the module automerge-repo itself uses. */
export interface AutomergeLoader {
  load(bytes: Uint8Array): unknown
  save(doc: never): Uint8Array
  getHeads(doc: never): string[]
}

/** How {@link installLoadHook} took effect. */
export const LoadHookMode = {
  /** imports and storage loads of this Repo load with one `Automerge.load`. */
  hook: 'hook',
  /** imports only: the Repo has no storage, or its storage subsystem changed shape. */
  importOnly: 'import-only',
  /** automerge-repo's internals changed: every open stays stock. */
  unsupported: 'unsupported',
} as const
export type LoadHookMode = (typeof LoadHookMode)[keyof typeof LoadHookMode]

/** What the hook did for one Repo (tests and diagnostics). */
export interface LoadHookStats {
  /** Imports of a new document loaded with one `Automerge.load`. */
  imported: number
  /** Storage loads done with one `Automerge.load`. */
  storageLoaded: number
  /** Loads the hook left to automerge-repo (`Automerge.load` refused the bytes). */
  fellBack: number
  /** First change events whose diff from no heads was skipped (nothing listened). */
  diffsSkipped: number
  /** Saves of a hook-loaded document skipped because it had not changed since it was loaded. */
  savesSkipped: number
}

interface Context {
  readonly mode: LoadHookMode
  /** The Repo's synchronizer (its DocSynchronizers listen to their handles). */
  readonly collection: WeakRef<CollectionSynchronizerLike>
  readonly automerge: AutomergeLoader
  readonly stats: LoadHookStats
  /** Heads of each document the hook loaded from storage, until its first save that writes. */
  readonly loadedHeads: Map<string, string[]>
}

interface HandleLike {
  readonly documentId: string
  isReady(): boolean
  listenerCount(event: string): number
  update(callback: (doc: unknown) => unknown): void
}

interface StorageSubsystemLike {
  loadDocData(documentId: string): Promise<Uint8Array | null>
  emit(event: string, payload: object): boolean
}

/** Shared by every copy of this module in the process. */
interface HookRegistry {
  readonly hooked: WeakSet<object>
  /** Repo classes probed (true: hooked and checked). */
  readonly probed: WeakMap<object, boolean>
  /** Per Repo and per StorageSubsystem that opted in. */
  readonly contexts: WeakMap<object, Context>
  /** The document the current stock `import` call must put in its new handle (one call long). */
  pending:
    { readonly documentId: string; readonly doc: object; readonly context: Context } | undefined
  /**
   * Documents the storage hook loaded, by id, until the Repo hands them to their handle (an
   * aborted find leaves one here until the next load of that id; the check is by identity).
   */
  readonly storageLoaded: Map<string, { readonly doc: object; readonly context: Context }>
}

const REGISTRY_KEY = Symbol.for('tabsync.load-hook.v1')
/** Automerge's root-document metadata (`Symbol.for` in Automerge 2 and 3). */
const AM_STATE = Symbol.for('_am_meta')

function registry(): HookRegistry {
  const global = globalThis as { [REGISTRY_KEY]?: HookRegistry }
  global[REGISTRY_KEY] ??= {
    hooked: new WeakSet(),
    probed: new WeakMap(),
    contexts: new WeakMap(),
    pending: undefined,
    storageLoaded: new Map(),
  }
  return global[REGISTRY_KEY]
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const set = new Set(a)
  return b.every((h) => set.has(h))
}

type Meta = { mostRecentPatch?: unknown }

/**
 * True when nobody but automerge-repo's own synchronizer listens to `handle`'s changes. Its
 * DocSynchronizer adds one change listener, which only sends sync messages to the peers the
 * document's sync has begun with; on a document's first content that sync is begun anyway
 * (`beginSync` waits for the handle to be ready, then sends), so that event tells it nothing.
 */
function unheard(handle: HandleLike, context: Context): boolean {
  const synchronizer = context.collection.deref()
  const own = synchronizer?.docSynchronizers[handle.documentId] === undefined ? 0 : 1
  return handle.listenerCount('change') <= own
}

/**
 * Runs `handle`'s update with `callback`; when it returns `doc` (the hook's load) and nobody
 * would hear the change event, the diff from no heads DocHandle computes for that event is
 * answered from Automerge's own cache with nothing (so no event), and the cache is cleared
 * right after the update, so no later `A.diff` sees it.
 */
function firstUpdate(
  update: (this: HandleLike, cb: (doc: unknown) => unknown) => void,
  handle: HandleLike,
  callback: (doc: unknown) => unknown,
  doc: object,
  context: Context,
): void {
  const meta = (doc as { [AM_STATE]?: Meta })[AM_STATE]
  let skipped = false
  try {
    update.call(handle, (before: unknown) => {
      const after = callback(before)
      if (after === doc && meta !== undefined && unheard(handle, context)) {
        const heads = context.automerge.getHeads(doc as never)
        meta.mostRecentPatch = { before: [], after: heads, patches: [] }
        skipped = true
        context.stats.diffsSkipped++
      }
      return after
    })
  } finally {
    if (skipped) meta!.mostRecentPatch = undefined
  }
}

function hookDocHandle(reg: HookRegistry, DocHandle: object): boolean {
  if (reg.hooked.has(DocHandle)) return true
  const proto = (DocHandle as { prototype?: Record<string, unknown> }).prototype
  const update = proto?.['update']
  if (
    proto === undefined ||
    typeof update !== 'function' ||
    typeof proto['listenerCount'] !== 'function'
  ) {
    return false
  }
  const stock = update as (this: HandleLike, cb: (doc: unknown) => unknown) => void
  proto['update'] = function (this: HandleLike, callback: (doc: unknown) => unknown): void {
    const pending = reg.pending
    if (pending !== undefined && pending.documentId === this.documentId) {
      // The stock import's update of a new handle: our document instead of its loadIncremental.
      reg.pending = undefined
      firstUpdate(stock, this, () => pending.doc, pending.doc, pending.context)
      return
    }
    // A storage load through the hook: the Repo hands the loaded document to its handle.
    const loaded = this.isReady() ? undefined : reg.storageLoaded.get(this.documentId)
    if (loaded !== undefined) {
      reg.storageLoaded.delete(this.documentId)
      firstUpdate(stock, this, callback, loaded.doc, loaded.context)
      return
    }
    stock.call(this, callback)
  }
  reg.hooked.add(DocHandle)
  return true
}

function hookRepo(reg: HookRegistry, RepoClass: object): boolean {
  if (reg.hooked.has(RepoClass)) return true
  const proto = (RepoClass as { prototype?: Record<string, unknown> }).prototype
  const stock = proto?.['import']
  if (proto === undefined || typeof stock !== 'function') return false
  proto['import'] = function (
    this: { handles: Record<string, unknown> },
    binary: Uint8Array,
    args?: { docId?: string },
  ): unknown {
    const context = reg.contexts.get(this)
    const documentId = args?.docId
    // Only a document this Repo has no handle for: stock merges into an existing one.
    if (context === undefined || documentId == null || this.handles[documentId] !== undefined) {
      return stock.call(this, binary, args)
    }
    let doc: object
    try {
      doc = context.automerge.load(binary) as object
    } catch {
      context.stats.fellBack++
      return stock.call(this, binary, args)
    }
    reg.pending = { documentId, doc, context }
    try {
      const handle = stock.call(this, binary, args)
      context.stats.imported++
      return handle
    } finally {
      reg.pending = undefined
    }
  }
  reg.hooked.add(RepoClass)
  return true
}

function hookStorage(reg: HookRegistry, StorageSubsystem: object): boolean {
  if (reg.hooked.has(StorageSubsystem)) return true
  const proto = (StorageSubsystem as { prototype?: Record<string, unknown> }).prototype
  const loadDoc = proto?.['loadDoc']
  const saveDoc = proto?.['saveDoc']
  if (
    proto === undefined ||
    typeof loadDoc !== 'function' ||
    typeof saveDoc !== 'function' ||
    typeof proto['loadDocData'] !== 'function' ||
    typeof proto['emit'] !== 'function'
  ) {
    return false
  }
  const stockLoad = loadDoc as (this: object, id: string) => Promise<unknown>
  const stockSave = saveDoc as (this: object, id: string, doc: unknown) => Promise<void>
  proto['loadDoc'] = async function (
    this: StorageSubsystemLike,
    documentId: string,
  ): Promise<unknown> {
    const context = reg.contexts.get(this)
    if (context === undefined) return stockLoad.call(this, documentId)
    // Reads the chunks and records them (for compaction) exactly as stock does.
    const binary = await this.loadDocData(documentId)
    if (!binary) return null
    const start = performance.now()
    let doc: object
    try {
      doc = context.automerge.load(binary) as object
    } catch {
      context.stats.fellBack++
      return stockLoad.call(this, documentId)
    }
    this.emit('document-loaded', { documentId, durationMillis: performance.now() - start })
    context.loadedHeads.set(documentId, context.automerge.getHeads(doc as never))
    context.stats.storageLoaded++
    reg.storageLoaded.set(documentId, { doc, context })
    return doc
  }
  proto['saveDoc'] = function (this: object, documentId: string, doc: unknown): Promise<void> {
    const context = reg.contexts.get(this)
    const heads = context?.loadedHeads.get(documentId)
    if (context !== undefined && heads !== undefined) {
      if (sameHeads(context.automerge.getHeads(doc as never), heads)) {
        context.stats.savesSkipped++
        return Promise.resolve() // nothing since it was loaded: stock would skip it too
      }
      context.loadedHeads.delete(documentId) // stock takes over (a snapshot first)
    }
    return stockSave.call(this, documentId, doc)
  }
  reg.hooked.add(StorageSubsystem)
  return true
}

interface ProbeHandle {
  readonly constructor: unknown
  readonly documentId: string
  doc(): unknown
}

/**
 * A saved document with one change (`{ probe: 1 }`, a fixed actor, time 0): what the probe
 * imports through the hook. Made once with `Automerge.change` and `Automerge.save`, kept as bytes
 * so that the probe commits nothing: a page's first commit compiles Automerge's commit path,
 * which a device's start does not otherwise need before its floor (repo-internals.ts).
 */
const PROBE_DOC_BASE64 =
  'hW9Kg8JlVGcAbgEMdGFic3luY3Byb2JlAcKrag0ZJJQii7rgR7api32qysE9+9Pc5BWYbUB/FQVoBgECAwITAiMCQAJWAggVByECIwI0AUICVgJXAYABAn8AfwF/AX8AfwB/B38FcHJvYmV/AH8BAX8BfxQBfwAA'

function probeDocBytes(): Uint8Array {
  return Uint8Array.from(atob(PROBE_DOC_BASE64), (c) => c.charCodeAt(0))
}

/**
 * Hooks the DocHandle and Repo classes of `RepoClass` (the DocHandle class found through a
 * throwaway Repo with no storage and no network), then checks on a second one that a document
 * imported through the hook has the heads of the bytes it was imported from.
 */
function hookRepoClasses(
  reg: HookRegistry,
  RepoClass: new (config: object) => RepoLike,
  automerge: AutomergeLoader,
): boolean {
  const source = new RepoClass({ network: [] })
  const target = new RepoClass({ network: [] })
  try {
    const handle = probeHandle(source)
    if (typeof handle.constructor !== 'function') return false
    if (!hookDocHandle(reg, handle.constructor) || !hookRepo(reg, RepoClass)) return false
    const stats = { imported: 0, storageLoaded: 0, fellBack: 0, diffsSkipped: 0, savesSkipped: 0 }
    const context: Context = {
      mode: LoadHookMode.importOnly,
      collection: new WeakRef(synchronizerOf(target) ?? { docSynchronizers: {} }),
      automerge,
      stats,
      loadedHeads: new Map(),
    }
    reg.contexts.set(target, context)
    const bytes = probeDocBytes()
    const imported = (target as unknown as RepoWithImport).import(bytes, {
      docId: handle.documentId,
    })
    const expected = automerge.getHeads(automerge.load(bytes) as never)
    return (
      stats.imported === 1 &&
      expected.length === 1 &&
      sameHeads(automerge.getHeads(imported.doc() as never), expected)
    )
  } catch {
    return false
  } finally {
    // Memory only, no network: nothing to settle.
    source.shutdown().catch(() => {})
    target.shutdown().catch(() => {})
  }
}

interface RepoWithImport {
  import(bytes: Uint8Array, args: { docId: string }): ProbeHandle
}

/**
 * Makes `repo` open documents with one `Automerge.load` each (imports of new documents, storage
 * loads) instead of about three. Call it right after `new Repo(...)`, with the Automerge module
 * automerge-repo uses (`import * as A from '@automerge/automerge'`). Other Repos in the process
 * stay stock.
 *
 * @returns how it took effect; `unsupported` means every open stays stock.
 * @example
 * const repo = new Repo({ network, storage })
 * const mode = installLoadHook(repo, A) // 'hook' with stock automerge-repo 2.5.6
 */
export function installLoadHook(repo: RepoLike, automerge: AutomergeLoader): LoadHookMode {
  const reg = registry()
  if (reg.contexts.has(repo)) return reg.contexts.get(repo)!.mode
  const RepoClass = repo.constructor as new (config: object) => RepoLike
  if (typeof (repo as { handles?: unknown }).handles !== 'object') return LoadHookMode.unsupported
  if (!reg.probed.has(RepoClass))
    reg.probed.set(RepoClass, hookRepoClasses(reg, RepoClass, automerge))
  if (reg.probed.get(RepoClass) !== true) return LoadHookMode.unsupported
  const storage = (repo as { storageSubsystem?: { constructor?: unknown } }).storageSubsystem
  const storageHooked =
    typeof storage === 'object' &&
    storage !== null &&
    typeof storage.constructor === 'function' &&
    hookStorage(reg, storage.constructor)
  const mode = storageHooked ? LoadHookMode.hook : LoadHookMode.importOnly
  const collection = synchronizerOf(repo)
  if (collection === undefined) return LoadHookMode.unsupported
  const context: Context = {
    collection: new WeakRef(collection),
    automerge,
    mode,
    stats: { imported: 0, storageLoaded: 0, fellBack: 0, diffsSkipped: 0, savesSkipped: 0 },
    loadedHeads: new Map(),
  }
  reg.contexts.set(repo, context)
  if (storageHooked) reg.contexts.set(storage, context)
  return mode
}

/** What the load hook did for `repo`, or undefined when it is not installed there. */
export function loadHookStats(repo: RepoLike): Readonly<LoadHookStats> | undefined {
  const context = registry().contexts.get(repo)
  return context === undefined ? undefined : { ...context.stats }
}
