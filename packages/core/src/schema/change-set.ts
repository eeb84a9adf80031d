import * as A from '@automerge/automerge'
import { ErrorKind, TabsyncError } from '../errors.js'
import { readChangeHeader, type ChangeHeader } from './change-header.js'

/** How a set of changes pushed ahead of sync (a `tabsync-change` frame) fits a document. */
export type ChangeSetFit =
  /** Some changes are new and everything they depend on is here: apply `changes`. */
  | { readonly fit: 'new'; readonly changes: readonly Uint8Array[] }
  /** The document holds every one of them already. */
  | { readonly fit: 'known' }
  /** They depend on changes neither the document nor the set holds: leave them to sync. */
  | { readonly fit: 'missing-deps'; readonly missing: readonly string[] }

/** Options of {@link fitChanges}. */
export interface FitOptions {
  /**
   * How a change's hash and dependencies are read. `decode` (default): `A.decodeChange`, so an
   * undecodable change is refused here. `header`: from the change's header, checked against its
   * checksum (change-header.ts), without turning every operation into JS objects; a change
   * damaged behind a valid checksum (made so on purpose) then fails where it is applied, and
   * the caller treats that failure as corrupt. Anything the header cannot vouch for is decoded.
   */
  readonly read?: 'decode' | 'header'
}

/**
 * Whether `changes` (plain Automerge changes) can be applied to `doc` as they are. Applying a
 * change whose dependencies are missing does not fail in Automerge: the document keeps it queued
 * out of sight, which would make a receiver's state depend on what arrives later; so such a set
 * is refused here, and the sync exchange, which always runs, delivers it in order.
 *
 * Throws a `corrupt` TabsyncError when a change cannot be decoded.
 *
 * @example
 * const fit = fitChanges(handle.doc(), frame.changes)
 * if (fit.fit === 'new') handle.update((d) => A.applyChanges(d, [...fit.changes])[0])
 */
export function fitChanges(
  doc: A.Doc<unknown>,
  changes: readonly Uint8Array[],
  options: FitOptions = {},
): ChangeSetFit {
  const decoded = changes.map((bytes, index): ChangeHeader => {
    const header = options.read === 'header' ? readChangeHeader(bytes) : undefined
    if (header) return header
    try {
      return A.decodeChange(bytes)
    } catch (cause) {
      throw new TabsyncError(ErrorKind.corrupt, 'not an Automerge change', { index }, { cause })
    }
  })
  const inSet = new Set(decoded.map((c) => c.hash))
  const lacks = absentFrom(doc)
  const absent = lacks(decoded.map((c) => c.hash))
  const fresh = changes.filter((_, i) => absent.has(decoded[i]!.hash))
  if (fresh.length === 0) return { fit: 'known' }
  const deps = [...new Set(decoded.flatMap((c) => c.deps))].filter((dep) => !inSet.has(dep))
  const missingDeps = lacks(deps)
  const missing = deps.filter((dep) => missingDeps.has(dep))
  if (missing.length > 0) return { fit: 'missing-deps', missing }
  return { fit: 'new', changes: fresh }
}

/**
 * Which of some change hashes `doc` does not hold. `A.hasHeads` rebuilds each change it is asked
 * about from the op set (in Automerge 3 its cost grows with the document); the change graph's own
 * index answers through `getMissingDeps`, exactly when nothing waits in the document's queue of
 * changes with missing dependencies (it then also names those, and hides queued ones): the
 * rare document with a queue is asked change by change.
 */
function absentFrom(doc: A.Doc<unknown>): (hashes: readonly string[]) => Set<string> {
  if (A.getMissingDeps(doc, []).length > 0)
    return (hashes) => new Set(hashes.filter((h) => !A.hasHeads(doc, [h])))
  return (hashes) => new Set(hashes.length === 0 ? [] : A.getMissingDeps(doc, [...hashes]))
}

/**
 * The changes `after` holds and `before` does not that this replica made itself (its actor):
 * what a device pushes ahead of sync after a command. Changes that arrived from peers, and
 * deterministic changes (migrations, with their fixed actor), are left to sync.
 */
export function localChangesBetween(before: A.Doc<unknown>, after: A.Doc<unknown>): Uint8Array[] {
  // Metadata first (no ops decoded: `A.decodeChange` turns every op into JS objects), bytes only
  // for this replica's own changes. An older document value shares its replica's backend, so
  // `before` only lends its heads.
  const actor = A.getActorId(after)
  const mine = A.getChangesMetaSince(after, A.getHeads(before)).filter((c) => c.actor === actor)
  if (mine.length === 0) return []
  const backend = A.getBackend(after)
  return mine.flatMap((c) => backend.getChangeByHash(c.hash) ?? [])
}
