// automerge-repo (2.5.6, and still 2.6.0-alpha.3) waits up to 100 ms between two sync messages
// of one document: `DocSynchronizer.syncDebounceRate` is a class field, read once in the
// constructor to build the throttle of the handle's "change" listener, and `Repo` has no option
// for it. A rapid second tap then waits for the rest of those 100 ms on every hop.
//
// This sets the throttle per Repo at run time, with no patch step, so an application that
// installs the packages with plain `npm install` gets it too:
// - automerge-repo builds with a `syncDebounceRate` Repo option (the upstream form of this hook,
//   patches/automerge-repo/01-sync-debounce-rate-option.patch, or a future release) are set
//   through that option;
// - otherwise the DocSynchronizer class (reached through a throwaway probe Repo, as it is not
//   exported) gets a constructor in its prototype chain that intercepts the field: the value
//   becomes a number-like object that the throttle reads at every change (`lastCall + delay`),
//   and that answers the throttle of the Repo whose synchronizer holds that document, or the stock
//   100 ms for any other Repo (the bench's stock peers keep theirs);
// - if automerge-repo's internals no longer look like this, nothing is changed and the caller
//   is told `unsupported`, to say so at start.
//
// Written once here because both sides set it (a device through @tabsync/sync's openDevice, the
// relay on its own Repo) and the relay may not import sync. It takes any Repo by shape, so this
// package needs no automerge-repo; every loaded copy shares one registry on globalThis.

import {
  docSynchronizerClassOf,
  holds,
  synchronizerOf,
  type CollectionSynchronizerLike,
  type DocSynchronizerLike,
  type RepoLike,
} from './repo-internals.js'

/** automerge-repo's own per-document sync throttle (ms). */
export const STOCK_SYNC_THROTTLE_MS = 100

/** How {@link setSyncThrottle} took effect. */
export const SyncThrottleMode = {
  /** automerge-repo took a `syncDebounceRate` Repo option. */
  option: 'option',
  /** set through the run-time hook on automerge-repo's DocSynchronizer. */
  hook: 'hook',
  /** automerge-repo's internals changed: its own 100 ms throttle stays. */
  unsupported: 'unsupported',
} as const
export type SyncThrottleMode = (typeof SyncThrottleMode)[keyof typeof SyncThrottleMode]

interface Registration {
  readonly collection: WeakRef<CollectionSynchronizerLike>
  readonly ms: number
}

/** Shared by every copy of this module in the process (two installed versions of it). */
interface HookRegistry {
  readonly registrations: Registration[]
  /** DocSynchronizer classes already hooked (a tree may hold two automerge-repo copies). */
  readonly hooked: WeakSet<object>
  /** Throttle already resolved per DocSynchronizer instance. */
  readonly resolved: WeakMap<object, number>
}

const REGISTRY_KEY = Symbol.for('tabsync.sync-throttle.v1')

function registry(): HookRegistry {
  const global = globalThis as { [REGISTRY_KEY]?: HookRegistry }
  global[REGISTRY_KEY] ??= {
    registrations: [],
    hooked: new WeakSet(),
    resolved: new WeakMap(),
  }
  return global[REGISTRY_KEY]
}

/** The throttle of the Repo whose synchronizer holds `docSync`, else the stock value. */
function throttleFor(reg: HookRegistry, docSync: DocSynchronizerLike, stock: number): number {
  const known = reg.resolved.get(docSync)
  if (known !== undefined) return known
  for (let i = reg.registrations.length - 1; i >= 0; i--) {
    const entry = reg.registrations[i]!
    const collection = entry.collection.deref()
    if (collection === undefined) {
      reg.registrations.splice(i, 1) // that Repo is gone
      continue
    }
    if (holds(collection, docSync)) {
      reg.resolved.set(docSync, entry.ms)
      return entry.ms
    }
  }
  return stock
}

/** Puts a constructor between DocSynchronizer and its parent that intercepts the field. */
function hook(reg: HookRegistry, DocSynchronizer: object): boolean {
  if (reg.hooked.has(DocSynchronizer)) return true
  const Parent: unknown = Object.getPrototypeOf(DocSynchronizer)
  if (typeof Parent !== 'function') return false
  const parent = Parent as new () => object
  // `super()` looks the parent constructor up at call time, so DocSynchronizer's constructor runs
  // this one. It returns a proxy of the instance whose only trap rewrites the class field as it
  // is defined; everything else (private fields included) lives on that object as before.
  const intercept = function (this: unknown): object {
    const instance = Reflect.construct(parent, [], new.target) as object
    const proxy: object = new Proxy(instance, {
      defineProperty(target, key, descriptor) {
        if (key === 'syncDebounceRate' && typeof descriptor.value === 'number') {
          const stock = descriptor.value
          const delay = {
            valueOf: () => throttleFor(reg, proxy as DocSynchronizerLike, stock),
            toJSON: () => throttleFor(reg, proxy as DocSynchronizerLike, stock),
          }
          return Reflect.defineProperty(target, key, { ...descriptor, value: delay })
        }
        return Reflect.defineProperty(target, key, descriptor)
      },
    })
    return proxy
  }
  Object.setPrototypeOf(intercept, parent)
  Object.defineProperty(intercept, 'prototype', { value: parent.prototype })
  Object.setPrototypeOf(DocSynchronizer, intercept)
  reg.hooked.add(DocSynchronizer)
  return true
}

/**
 * Sets the least time (ms) between two sync messages of one document, for every document `repo`
 * synchronizes. Call it right after `new Repo(...)`, before finding or creating documents.
 *
 * @returns how it took effect; `unsupported` means automerge-repo's own 100 ms stays.
 * @example
 * const repo = new Repo({ network, storage })
 * const mode = setSyncThrottle(repo, 0) // 'hook' with stock automerge-repo 2.5.6
 */
export function setSyncThrottle(repo: RepoLike, ms: number): SyncThrottleMode {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`sync throttle must be >= 0, got ${ms}`)
  const mutable = repo as unknown as { syncDebounceRate?: unknown }
  if (typeof mutable.syncDebounceRate === 'number') {
    mutable.syncDebounceRate = ms // a build that reads the option from the Repo
    return SyncThrottleMode.option
  }
  const collection = synchronizerOf(repo)
  if (collection === undefined) return SyncThrottleMode.unsupported
  const reg = registry()
  const DocSynchronizer = docSynchronizerClassOf(repo)
  if (DocSynchronizer === undefined || !hook(reg, DocSynchronizer)) {
    return SyncThrottleMode.unsupported
  }
  reg.registrations.push({ collection: new WeakRef(collection), ms })
  return SyncThrottleMode.hook
}

/**
 * The throttle (ms) automerge-repo applies to `documentId` in `repo`, or undefined when `repo`
 * has no synchronizer for it (yet). For tests and diagnostics.
 */
export function syncThrottleOf(repo: RepoLike, documentId: string): number | undefined {
  const docSync = synchronizerOf(repo)?.docSynchronizers[documentId] as
    { syncDebounceRate?: unknown } | undefined
  return docSync?.syncDebounceRate === undefined ? undefined : Number(docSync.syncDebounceRate)
}
