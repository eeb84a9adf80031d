import type { DocumentId, PeerId, RepoConfig } from '@automerge/automerge-repo'
import type { OwnershipRegistry } from './ownership.js'
import type { Principal } from './principal.js'

/** automerge-repo's ShareConfig (not exported by name in 2.5.6). */
export type ShareConfig = NonNullable<RepoConfig['shareConfig']>

/**
 * The repo's share config: `access` is the ownership check; `announce` is false for devices (the
 * relay volunteers nothing: a device gets a document only by asking for it) and, on a hub, true
 * for the upstream relay for every document of the hub's stores. Announce implies access here:
 * automerge-repo lets `announce: true` bypass `access`.
 */
export function createShareConfig(
  registry: OwnershipRegistry,
  principalOf: (peerId: string) => Principal | undefined,
): ShareConfig {
  const access = (peerId: PeerId, documentId?: DocumentId): Promise<boolean> =>
    Promise.resolve(mayShare(registry, principalOf, peerId, documentId))
  return {
    access: (peerId, documentId) => access(peerId, documentId),
    announce: async (peerId, documentId) => {
      const principal = principalOf(peerId)
      if (!principal?.upstream || documentId === undefined) return false
      return access(peerId, documentId)
    },
  }
}

/**
 * The share config's access check, answered at once (it reads only the ownership cache and the
 * peer directory): may `peerId` take part in syncing `documentId`, content included?
 */
export function mayShare(
  registry: OwnershipRegistry,
  principalOf: (peerId: string) => Principal | undefined,
  peerId: PeerId,
  documentId: DocumentId | undefined,
): boolean {
  const principal = principalOf(peerId)
  if (!principal || documentId === undefined) return false
  // carriesContent true: a peer the repo starts syncing with may receive content.
  const record = registry.peek(documentId)
  if (record === null) return true
  return registry.mayAccess(principal, documentId, true)
}
