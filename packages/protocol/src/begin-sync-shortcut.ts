// automerge-repo (2.5.6) ends the handling of *every* inbound sync message, in
// `CollectionSynchronizer.receiveMessage`, with `docSynchronizer.beginSync(newPeers)`, where
// `newPeers` are the peers it shares the document with that are not syncing it yet: on a steady
// relay, none. That empty call still waits for the handle twice (`whenReady`: an xstate
// subscription and a 60 s timer each) to set a flag that only matters while the document is
// not ready. In the relay's 1 × 10 relay-cost profile these empty calls were 2.3% of its
// main-thread CPU plus their timers.
//
// This returns at once from `beginSync([])` on a DocSynchronizer of an opted-in Repo whose
// handle is ready and that has begun a sync before (so its "sync started" flag is set or about
// to be, and the document-unavailable check it runs does nothing for a ready handle). Any call
// with peers, any call while the document is loading, requesting or unavailable, and every
// other Repo's calls go through unchanged. Installed on the DocSynchronizer class reached as
// sync-throttle.ts reaches it, no patch step; if the internals no longer look like this, nothing
// is changed and the caller is told `false`.
// Upstream form: patches/automerge-repo/03-skip-idle-begin-sync.patch (patches/README.md).

import {
  docSynchronizerClassOf,
  holds,
  synchronizerOf,
  type CollectionSynchronizerLike,
  type DocSynchronizerLike,
  type RepoLike,
} from './repo-internals.js'

interface HandleLike {
  isReady(): boolean
}

/** What the shortcut reads of a CollectionSynchronizer: its Repo's handles (public). */
interface CollectionWithRepo extends CollectionSynchronizerLike {
  readonly repo?: { readonly handles?: Record<string, HandleLike | undefined> }
}

interface ShortcutRegistry {
  readonly collections: WeakRef<CollectionWithRepo>[]
  /** DocSynchronizer classes already wrapped (a tree may hold two automerge-repo copies). */
  readonly wrapped: WeakSet<object>
  /** DocSynchronizers that have had a `beginSync` go through. */
  readonly begun: WeakSet<object>
  /** Empty calls answered at once (tests, diagnostics). */
  skipped: number
}

const REGISTRY_KEY = Symbol.for('tabsync.begin-sync-shortcut.v1')

function registry(): ShortcutRegistry {
  const global = globalThis as { [REGISTRY_KEY]?: ShortcutRegistry }
  global[REGISTRY_KEY] ??= {
    collections: [],
    wrapped: new WeakSet(),
    begun: new WeakSet(),
    skipped: 0,
  }
  return global[REGISTRY_KEY]
}

/** The opted-in collection holding `docSync`, if any. */
function collectionOf(
  reg: ShortcutRegistry,
  docSync: DocSynchronizerLike,
): CollectionWithRepo | undefined {
  for (let i = reg.collections.length - 1; i >= 0; i--) {
    const collection = reg.collections[i]!.deref()
    if (collection === undefined)
      reg.collections.splice(i, 1) // that Repo is gone
    else if (holds(collection, docSync)) return collection
  }
  return undefined
}

function isIdleCall(reg: ShortcutRegistry, docSync: DocSynchronizerLike, peers: unknown): boolean {
  if (!Array.isArray(peers) || peers.length > 0 || !reg.begun.has(docSync)) return false
  const collection = collectionOf(reg, docSync)
  const handle = collection?.repo?.handles?.[docSync.documentId]
  return typeof handle?.isReady === 'function' && handle.isReady()
}

function wrap(reg: ShortcutRegistry, DocSynchronizer: object): boolean {
  if (reg.wrapped.has(DocSynchronizer)) return true
  const proto = (DocSynchronizer as { prototype?: Record<string, unknown> }).prototype
  const beginSync = proto?.['beginSync']
  if (proto === undefined || typeof beginSync !== 'function') return false
  proto['beginSync'] = function (this: DocSynchronizerLike, ...args: unknown[]): unknown {
    if (isIdleCall(reg, this, args[0])) {
      reg.skipped += 1
      return Promise.resolve()
    }
    reg.begun.add(this)
    return beginSync.apply(this, args)
  }
  reg.wrapped.add(DocSynchronizer)
  return true
}

/**
 * Makes automerge-repo's per-message `beginSync([])` on a ready document of `repo` return at
 * once. Call it right after `new Repo(...)`.
 *
 * @returns false when automerge-repo's internals changed and nothing was done.
 * @example
 * if (!shortcutIdleBeginSync(repo)) log.warn('every message waits for its handle twice')
 */
export function shortcutIdleBeginSync(repo: RepoLike): boolean {
  const collection = synchronizerOf(repo) as CollectionWithRepo | undefined
  const DocSynchronizer = docSynchronizerClassOf(repo)
  if (collection === undefined || DocSynchronizer === undefined) return false
  if (typeof collection.repo?.handles !== 'object') return false
  const reg = registry()
  if (!wrap(reg, DocSynchronizer)) return false
  reg.collections.push(new WeakRef(collection))
  return true
}

/** Empty `beginSync` calls answered at once since start, process-wide (tests, diagnostics). */
export function idleBeginSyncsSkipped(): number {
  return registry().skipped
}
