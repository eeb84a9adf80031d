// What Tabsync reaches inside automerge-repo (2.5.6) that it does not export: a Repo's
// CollectionSynchronizer (`repo.synchronizer`, its `docSynchronizers` by document id) and the
// DocSynchronizer class, found through a throwaway in-memory probe Repo. Both hooks on that class
// (sync-throttle.ts, begin-sync-guard.ts) use this one probe; each returns `undefined` when the
// internals no longer look like this, and its caller then leaves automerge-repo as it is.
// The upstream changes that would make these hooks unnecessary: patches/README.md.

/** What this package uses of automerge-repo's `Repo` (a `Repo` of any 2.x copy is one). */
export interface RepoLike {
  create(initialValue: object): { readonly documentId: string }
  shutdown(): Promise<void>
}

export interface DocSynchronizerLike {
  readonly documentId: string
}

export interface CollectionSynchronizerLike {
  readonly docSynchronizers: Record<string, DocSynchronizerLike | undefined>
}

/** `repo`'s CollectionSynchronizer, when it has the shape this package knows. */
export function synchronizerOf(repo: object): CollectionSynchronizerLike | undefined {
  const synchronizer = (repo as { synchronizer?: Partial<CollectionSynchronizerLike> }).synchronizer
  return synchronizer !== undefined && typeof synchronizer.docSynchronizers === 'object'
    ? (synchronizer as CollectionSynchronizerLike)
    : undefined
}

/** True when `collection` is the synchronizer that holds `docSync`. */
export function holds(
  collection: CollectionSynchronizerLike,
  docSync: DocSynchronizerLike,
): boolean {
  return collection.docSynchronizers[docSync.documentId] === docSync
}

/** DocSynchronizer class per Repo class (null: not found), shared by every copy of this module. */
const PROBED_KEY = Symbol.for('tabsync.repo-internals.probed.v1')

function probed(): WeakMap<object, object | null> {
  const global = globalThis as { [PROBED_KEY]?: WeakMap<object, object | null> }
  global[PROBED_KEY] ??= new WeakMap()
  return global[PROBED_KEY]
}

/** automerge-repo's DocSynchronizer class of `repo`'s copy of automerge-repo (probed once). */
export function docSynchronizerClassOf(repo: RepoLike): object | undefined {
  const RepoClass = repo.constructor as new (config: object) => RepoLike
  const cache = probed()
  if (!cache.has(RepoClass)) cache.set(RepoClass, probe(RepoClass) ?? null)
  return cache.get(RepoClass) ?? undefined
}

function probe(RepoClass: new (config: object) => RepoLike): object | undefined {
  const repo = new RepoClass({ network: [] })
  try {
    const handle = probeHandle(repo)
    const docSync = synchronizerOf(repo)?.docSynchronizers[handle.documentId]
    if (docSync === undefined || !('syncDebounceRate' in docSync)) return undefined
    return (docSync as { constructor: object }).constructor
  } finally {
    // A memory-only Repo with no network: shutting down settles nothing that matters.
    repo.shutdown().catch(() => {})
  }
}

/** A document id for probe handles (automerge-repo's form: base58check of 16 bytes). */
const PROBE_DOCUMENT_ID = '4JWZSQnL2RqmNs76jbN4daZFBDdy'

/**
 * A handle registered with `repo`'s storage and sync, made without an Automerge change: an
 * import of no bytes. Creating a document instead commits a change, and a page's first commit
 * compiles Automerge's commit path (about 50 ms in Node, more in a browser) before the start
 * needs it: a device's start only loads documents. `create` where there is no `import`.
 */
export function probeHandle(repo: RepoLike): {
  readonly documentId: string
  readonly constructor: unknown
} {
  const importer = (repo as Partial<RepoWithImport>).import
  if (typeof importer !== 'function') return repo.create({})
  return importer.call(repo, new Uint8Array(0), { docId: PROBE_DOCUMENT_ID })
}

interface RepoWithImport {
  import(
    bytes: Uint8Array,
    args: { docId: string },
  ): { readonly documentId: string; readonly constructor: unknown }
}
