// automerge-repo (2.5.6) handles *every* inbound sync message in
// `CollectionSynchronizer.receiveMessage`: it awaits the share config's `access` for the sender,
// awaits `repo.find` of the document, hands the message to the document's DocSynchronizer, then
// asks the share config (`announce` and `access`, both awaited) about every connected peer, of
// every document, to begin syncing with the ones newly entitled to it. On a relay that last step
// is O(connected devices) per message: at 10 stores × 5 devices, 50 peers (100 share calls) for
// each acknowledgement, and it grows with every store the relay serves.
//
// For an opted-in Repo this hands a `sync` message straight to its DocSynchronizer when nothing
// the stock path decides can differ: the document's handle is ready (so `find` would return it
// at once), its synchronizer exists and already syncs with the sender (so the sender is recorded
// as having asked for it), the caller's synchronous access check allows the sender, no message
// of that document is still on the stock path (order is kept), and the caller's share version
// has not moved since the stock path last ran for this synchronizer to the end (so every peer the
// share config entitles was started then, and none has become entitled since). Anything else
// (a request, a new document or peer, a version that moved, a Repo not opted in) goes the stock
// way, and the stock path it takes refreshes the synchronizer's mark. Installed on the
// CollectionSynchronizer class of the Repo's own copy of automerge-repo, no patch step; if the
// internals no longer look like this, nothing is changed and the caller is told `false`.
// Upstream form: patches/automerge-repo/08-share-check-once-per-document.patch (patches/README.md).

import {
  docSynchronizerClassOf,
  synchronizerOf,
  type CollectionSynchronizerLike,
  type DocSynchronizerLike,
  type RepoLike,
} from './repo-internals.js'

/** What the opted-in Repo's owner answers for this hook. */
export interface SteadySyncOptions {
  /**
   * The share config's `access` answer for a peer and document, synchronously. It must equal
   * what the Repo's `shareConfig.access` resolves to.
   */
  mayAccess(peerId: string, documentId: string): boolean
  /**
   * A number that changes whenever any share answer (`announce` or `access`, any peer, any
   * document) may have become true where it was false: ownership learnt or changed, a peer
   * joined or left. It may change more often than that (the stock path then runs once more).
   */
  shareVersion(): number
}

interface SyncMessageLike {
  readonly type?: unknown
  readonly documentId?: unknown
  readonly senderId?: unknown
}

interface DocSyncWithPeers extends DocSynchronizerLike {
  hasPeer(peerId: string): boolean
  receiveMessage(message: unknown): void
}

interface HandleLike {
  isReady(): boolean
}

interface CollectionWithRepo extends CollectionSynchronizerLike {
  readonly repo?: { readonly handles?: Record<string, HandleLike | undefined> }
  receiveMessage(message: unknown): Promise<void>
}

interface SteadyRegistry {
  /** Opted-in collections and their owners' answers. */
  readonly optedIn: WeakMap<object, SteadySyncOptions>
  /** CollectionSynchronizer prototypes already wrapped. */
  readonly wrapped: WeakSet<object>
  /** The share version at which the stock path last ran to its end, per DocSynchronizer. */
  readonly checkedAt: WeakMap<object, number>
  /** Messages on the stock path, per collection and document (order is kept behind them). */
  readonly inFlight: WeakMap<object, Map<string, number>>
  /** Messages handed straight to their DocSynchronizer (tests, diagnostics). */
  delivered: number
  /** The same, per collection (one Repo's count, whatever other Repos of the process do). */
  readonly deliveredBy: WeakMap<object, number>
}

const REGISTRY_KEY = Symbol.for('tabsync.steady-sync-delivery.v2')

function registry(): SteadyRegistry {
  const global = globalThis as { [REGISTRY_KEY]?: SteadyRegistry }
  global[REGISTRY_KEY] ??= {
    optedIn: new WeakMap(),
    wrapped: new WeakSet(),
    checkedAt: new WeakMap(),
    inFlight: new WeakMap(),
    delivered: 0,
    deliveredBy: new WeakMap(),
  }
  return global[REGISTRY_KEY]
}

function inFlightOf(reg: SteadyRegistry, collection: object): Map<string, number> {
  let map = reg.inFlight.get(collection)
  if (!map) reg.inFlight.set(collection, (map = new Map()))
  return map
}

/** The DocSynchronizer that may take `message` directly, or undefined (stock path). */
function steadyTarget(
  reg: SteadyRegistry,
  collection: CollectionWithRepo,
  options: SteadySyncOptions,
  message: SyncMessageLike,
): DocSyncWithPeers | undefined {
  const { type, documentId, senderId } = message
  if (type !== 'sync' || typeof documentId !== 'string' || typeof senderId !== 'string')
    return undefined
  const docSync = collection.docSynchronizers[documentId] as DocSyncWithPeers | undefined
  if (docSync === undefined || reg.checkedAt.get(docSync) !== options.shareVersion())
    return undefined
  if ((reg.inFlight.get(collection)?.get(documentId) ?? 0) > 0) return undefined
  if (!collection.repo?.handles?.[documentId]?.isReady()) return undefined
  if (!docSync.hasPeer(senderId) || !options.mayAccess(senderId, documentId)) return undefined
  return docSync
}

function wrap(reg: SteadyRegistry, proto: Record<string, unknown>): boolean {
  if (reg.wrapped.has(proto)) return true
  const receiveMessage = proto['receiveMessage']
  if (typeof receiveMessage !== 'function') return false
  proto['receiveMessage'] = function (
    this: CollectionWithRepo,
    message: SyncMessageLike,
  ): Promise<void> {
    const options = reg.optedIn.get(this)
    if (options === undefined) return receiveMessage.call(this, message) as Promise<void>
    const direct = steadyTarget(reg, this, options, message)
    if (direct !== undefined) {
      reg.delivered += 1
      reg.deliveredBy.set(this, (reg.deliveredBy.get(this) ?? 0) + 1)
      try {
        direct.receiveMessage(message)
        return Promise.resolve()
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)))
      }
    }
    const { documentId, senderId } = message
    if (typeof documentId !== 'string' || typeof senderId !== 'string')
      return receiveMessage.call(this, message) as Promise<void>
    // Read before the stock path asks the share config: a change during it leaves the mark old.
    const version = options.shareVersion()
    // The stock path asks peers about the document only when the sender may access it.
    const allowed = options.mayAccess(senderId, documentId)
    const inFlight = inFlightOf(reg, this)
    inFlight.set(documentId, (inFlight.get(documentId) ?? 0) + 1)
    const settle = (): void => {
      const left = (inFlight.get(documentId) ?? 1) - 1
      if (left > 0) inFlight.set(documentId, left)
      else inFlight.delete(documentId)
    }
    return (receiveMessage.call(this, message) as Promise<void>).then(
      () => {
        settle()
        const docSync = this.docSynchronizers[documentId]
        if (docSync !== undefined && allowed && options.mayAccess(senderId, documentId))
          reg.checkedAt.set(docSync, version)
      },
      (err: unknown) => {
        settle()
        throw err
      },
    )
  }
  reg.wrapped.add(proto)
  return true
}

/**
 * Hands `repo`'s steady sync messages (see above) straight to their DocSynchronizer, without
 * automerge-repo's per-message share-config round over every connected peer. Call it right after
 * `new Repo(...)`, for a Repo built without a `denylist` (its check is skipped on this path).
 *
 * @returns false when automerge-repo's internals changed and nothing was done.
 * @example
 * if (!deliverSteadySyncDirectly(repo, { mayAccess, shareVersion })) log.warn('...')
 */
export function deliverSteadySyncDirectly(repo: RepoLike, options: SteadySyncOptions): boolean {
  const collection = synchronizerOf(repo) as CollectionWithRepo | undefined
  if (collection === undefined || typeof collection.repo?.handles !== 'object') return false
  const proto = Object.getPrototypeOf(collection) as Record<string, unknown> | null
  if (proto === null || typeof proto['receiveMessage'] !== 'function') return false
  const docSyncProto = (docSynchronizerClassOf(repo) as { prototype?: Record<string, unknown> })
    ?.prototype
  if (
    typeof docSyncProto?.['hasPeer'] !== 'function' ||
    typeof docSyncProto['receiveMessage'] !== 'function'
  )
    return false
  const reg = registry()
  if (!wrap(reg, proto)) return false
  reg.optedIn.set(collection, options)
  return true
}

/**
 * Sync messages handed straight to their DocSynchronizer since start: `repo`'s, or with no
 * argument the whole process's.
 */
export function steadySyncDelivered(repo?: RepoLike): number {
  const reg = registry()
  if (repo === undefined) return reg.delivered
  const collection = synchronizerOf(repo)
  return collection === undefined ? 0 : (reg.deliveredBy.get(collection) ?? 0)
}
