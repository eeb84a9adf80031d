import type { NetworkAdapterInterface, PeerId } from '@automerge/automerge-repo/slim'
import type { BundledDocument } from '@tabsync/core/internal'
import type { DocumentsFloor } from '@tabsync/protocol'

/** What a connection leads to: the in-store hub or the cloud relay. */
export const EndpointKind = { hub: 'hub', relay: 'relay' } as const
export type EndpointKind = (typeof EndpointKind)[keyof typeof EndpointKind]

/** State of one sync endpoint, as the terminal shows it. */
export const EndpointState = {
  connecting: 'connecting',
  open: 'open',
  closed: 'closed',
  tokenRejected: 'token-rejected',
  /** The relay refused a change of this device (close code 4006: outside its role's rights). */
  refused: 'refused',
} as const
export type EndpointState = (typeof EndpointState)[keyof typeof EndpointState]

/** One endpoint in {@link SyncStatus}. */
export interface EndpointStatus {
  readonly url: string
  readonly kind: EndpointKind
  readonly state: EndpointState
  /** When the endpoint last completed its handshake (device wall time, ms). */
  readonly lastConnectedAt: number | null
  /** The automerge-repo peer id on the other end while open. */
  readonly peerId?: PeerId | undefined
  /**
   * What the server serves (protocol's `ServerFeature`), from its last `/time` answer; absent
   * before one. A server older than the features names none.
   */
  readonly features?: readonly string[]
}

/**
 * A network adapter that is a device's connection to one or more hubs or relays. The device
 * reads its endpoints for the status, counts the peers it reaches as "upstream" (their
 * acknowledged heads make documents synced) and asks it for the reference time.
 * The WebSocket client and the simulated network implement it.
 */
export interface SyncLink extends NetworkAdapterInterface {
  readonly isSyncLink: true
  /** Every endpoint this adapter is responsible for. */
  endpoints(): readonly EndpointStatus[]
  /** Called whenever an endpoint's state changes. Returns an unsubscribe function. */
  onEndpointsChange(cb: () => void): () => void
  /** The kind of a peer reached through this adapter, undefined for peers that are not upstream. */
  kindOf(peerId: PeerId): EndpointKind | undefined
  /** The reference time (epoch ms) of the server behind `peerId`, for the clock handshake. */
  referenceTime(peerId: PeerId): Promise<number>
  /**
   * The saved bytes of many documents in one request (a hub's or relay's `POST /documents`), the
   * ones among `ids` the server has and the device may read, and with `floor` the floor of that
   * store's day (documents not asked for; a server before it leaves them out). Absent when the
   * link cannot.
   */
  fetchDocuments?(ids: readonly string[], floor?: DocumentsFloor): Promise<BundledDocument[]>
}

/** True when a network adapter implements {@link SyncLink}. */
export function isSyncLink(adapter: NetworkAdapterInterface): adapter is SyncLink {
  return (adapter as Partial<SyncLink>).isSyncLink === true
}
