// automerge-repo (2.5.6) begins a document's sync with a peer in `DocSynchronizer.beginSync`,
// which awaits `handle.whenReady()` when another peer has the document; that wait rejects after
// 60 s (`withTimeout`), and CollectionSynchronizer calls `beginSync` with `void`. A document that
// is not ready within a minute (storage that stopped answering, a big document on a slow link)
// then becomes an unhandled rejection, which ends a Node process (a relay, a print bridge) by
// default and fails a test run.
//
// This catches that rejection on the DocSynchronizer class (reached as sync-throttle.ts reaches
// it, no patch step) and reports it to the Repo that owns the document. Nothing else changes:
// the document syncs on its next change or message, as after the stock failure. If the internals
// no longer look like this, nothing is changed and the caller is told `false`.
// Upstream form: patches/automerge-repo/02-report-begin-sync-failure.patch (patches/README.md).
// A build with it never rejects and emits a `begin-sync-failed` metrics event instead, which the
// guard reports the same way.

import {
  docSynchronizerClassOf,
  holds,
  synchronizerOf,
  type CollectionSynchronizerLike,
  type DocSynchronizerLike,
  type RepoLike,
} from './repo-internals.js'

/** Told when a document's sync could not begin; `documentId` is the document's. */
export type BeginSyncFailure = (err: unknown, documentId: string) => void

/** The metrics event of an automerge-repo with the upstream fix (patch 02). */
interface BeginSyncFailedEvent {
  readonly type: string
  readonly documentId?: string
  readonly error?: unknown
}

interface RepoEvents {
  on(event: 'doc-metrics', listener: (event: BeginSyncFailedEvent) => void): unknown
}

interface Guarded {
  readonly collection: WeakRef<CollectionSynchronizerLike>
  readonly report: BeginSyncFailure
}

interface GuardRegistry {
  readonly guarded: Guarded[]
  /** DocSynchronizer classes already wrapped (a tree may hold two automerge-repo copies). */
  readonly wrapped: WeakSet<object>
}

const REGISTRY_KEY = Symbol.for('tabsync.begin-sync-guard.v1')

function registry(): GuardRegistry {
  const global = globalThis as { [REGISTRY_KEY]?: GuardRegistry }
  global[REGISTRY_KEY] ??= { guarded: [], wrapped: new WeakSet() }
  return global[REGISTRY_KEY]
}

function reportFailure(reg: GuardRegistry, docSync: DocSynchronizerLike, err: unknown): void {
  for (let i = reg.guarded.length - 1; i >= 0; i--) {
    const collection = reg.guarded[i]!.collection.deref()
    if (collection === undefined) {
      reg.guarded.splice(i, 1) // that Repo is gone
    } else if (holds(collection, docSync)) {
      reg.guarded[i]!.report(err, docSync.documentId)
      return
    }
  }
  // A Repo nobody guarded (a stock peer in the same process): automerge-repo has logged it.
}

function wrap(reg: GuardRegistry, DocSynchronizer: object): boolean {
  if (reg.wrapped.has(DocSynchronizer)) return true
  const proto = (DocSynchronizer as { prototype?: Record<string, unknown> }).prototype
  const beginSync = proto?.['beginSync']
  if (proto === undefined || typeof beginSync !== 'function') return false
  proto['beginSync'] = function (this: DocSynchronizerLike, ...args: unknown[]): unknown {
    const result: unknown = beginSync.apply(this, args)
    if (result instanceof Promise) result.catch((err: unknown) => reportFailure(reg, this, err))
    return result
  }
  reg.wrapped.add(DocSynchronizer)
  return true
}

/**
 * Makes a failed sync start of any document of `repo` a call of `report` instead of an unhandled
 * rejection. Call it right after `new Repo(...)`.
 *
 * @returns false when automerge-repo's internals changed and nothing was done.
 * @example
 * guardBeginSync(repo, (err, documentId) => logger.warn({ err, documentId }, 'sync did not begin'))
 */
export function guardBeginSync(repo: RepoLike, report: BeginSyncFailure): boolean {
  const events = repo as Partial<RepoEvents>
  events.on?.('doc-metrics', (event) => {
    if (event.type === 'begin-sync-failed' && event.documentId !== undefined)
      report(event.error, event.documentId)
  })
  const collection = synchronizerOf(repo)
  const DocSynchronizer = docSynchronizerClassOf(repo)
  if (collection === undefined || DocSynchronizer === undefined) return false
  const reg = registry()
  if (!wrap(reg, DocSynchronizer)) return false
  reg.guarded.push({ collection: new WeakRef(collection), report })
  return true
}
