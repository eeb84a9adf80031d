import {
  parseAutomergeUrl,
  type AutomergeUrl,
  type NetworkAdapterInterface,
  type PeerId,
  type Repo,
  type UrlHeads,
} from '@automerge/automerge-repo/slim'
import type { HybridClock } from '@tabsync/core'
import type { DocumentsFloor } from '@tabsync/protocol'
import type { DocumentFetcher } from '../docs/catch-up.js'
import {
  EndpointKind,
  EndpointState,
  isSyncLink,
  type EndpointStatus,
  type SyncLink,
} from '../network/sync-link.js'
import { WebSocketLink } from '../network/websocket-link.js'
import { outdatedServers, type OutdatedServer } from '../status/outdated-servers.js'
import { connectionState, type SyncStatus } from '../status/sync-status.js'
import type { UnsyncedTracker } from '../status/unsynced-tracker.js'
import type { ClockHandshake } from './clock-handshake.js'
import type { OpenDocs } from './open-docs.js'

/** What {@link NetworkStatus} needs from the device. */
export interface NetworkStatusParts {
  readonly repo: Repo
  /** The WebSocket endpoints and extra adapters (not the BroadcastChannel between tabs). */
  readonly upstreamAdapters: readonly NetworkAdapterInterface[]
  readonly tracker: UnsyncedTracker
  readonly docs: OpenDocs
  readonly clock: HybridClock
  readonly handshake: ClockHandshake
  /** False: the links start closed (see {@link NetworkStatus.setOnline}). */
  readonly online: boolean
  /** The protocol's `ServerFeature`s the device's store uses (none before it is loaded). */
  readonly featuresUsed: () => readonly string[]
}

/**
 * The device's links to hubs and relays: which peers are upstream (their acknowledged heads make
 * documents synced), the clock handshake on each connect, the sync status and its listeners,
 * going offline and back on demand, and the bulk fetchers the catch-up asks.
 */
export class NetworkStatus {
  readonly #parts: NetworkStatusParts
  readonly #links: SyncLink[]
  readonly #listeners = new Set<(status: SyncStatus) => void>()
  readonly #upstreamListeners = new Set<() => void>()
  readonly #offs: (() => void)[] = []
  #lastJson = ''
  #queued = false
  #online: boolean

  constructor(parts: NetworkStatusParts) {
    this.#parts = parts
    this.#links = parts.upstreamAdapters.filter(isSyncLink)
    this.#online = parts.online
    this.#wire()
    if (!parts.online) this.setOnline(false)
  }

  /** The sync status right now. */
  status(): SyncStatus {
    const { tracker, docs, repo, clock } = this.#parts
    const endpoints = this.#endpoints()
    return {
      state: connectionState(endpoints),
      endpoints,
      peers: [...repo.peers],
      unsynced: tracker.unsynced,
      unsyncedOrders: tracker.pendingIds().filter((id) => docs.kindOf(id) === 'order').length,
      unsyncedChanges: tracker.unsyncedChanges,
      lastSyncAt: tracker.lastSyncAt,
      skew: clock.skew(),
      outdated: outdatedServers(endpoints, this.#parts.featuresUsed()),
    }
  }

  /** The servers that answered without `feature`, whatever the store uses (`SyncStatus.outdated`). */
  lacking(feature: string): OutdatedServer[] {
    return outdatedServers(this.#endpoints(), [feature])
  }

  #endpoints(): EndpointStatus[] {
    return this.#links.flatMap((l) => [...l.endpoints()])
  }

  /** Calls `cb` whenever the status changes. Returns an unsubscribe function. */
  onStatus(cb: (status: SyncStatus) => void): () => void {
    this.#listeners.add(cb)
    return () => this.#listeners.delete(cb)
  }

  /** Something the status is made of changed: listeners hear once per microtask, if it differs. */
  changed(): void {
    if (this.#queued) return
    this.#queued = true
    queueMicrotask(() => {
      this.#queued = false
      if (this.#listeners.size === 0) return
      const status = this.status()
      const json = JSON.stringify(status)
      if (json === this.#lastJson) return
      this.#lastJson = json
      for (const cb of [...this.#listeners]) cb(status)
    })
  }

  /**
   * What a hub or relay has of a document this device has open (see `Device.upstreamCopy`).
   */
  upstreamCopy<T>(
    url: AutomergeUrl,
  ): { readonly all: true } | { readonly all: false; readonly copies: readonly T[] } {
    const { tracker, docs } = this.#parts
    const handle = docs.handle(parseAutomergeUrl(url).documentId)
    if (handle && !tracker.isPending(handle.documentId)) return { all: true }
    const copies: T[] = []
    for (const heads of handle ? tracker.acknowledgedHeads(handle) : []) {
      try {
        copies.push(handle!.view(heads as UrlHeads).doc() as T)
      } catch {
        // Heads this device has not received yet: that upstream's copy says nothing here.
      }
    }
    return { all: false, copies }
  }

  /** Skips the backoff wait on every WebSocket endpoint (not while offline on purpose). */
  reconnect(): void {
    if (!this.#online) return
    for (const link of this.#links) {
      if (link instanceof WebSocketLink) link.reconnectNow()
    }
  }

  /** Whether the links are allowed to connect (see {@link setOnline}). */
  get online(): boolean {
    return this.#online
  }

  /**
   * `false` closes every hub and relay link now and keeps it closed; `true` reconnects at once,
   * without waiting for a backoff or a silence deadline. For a browser's `offline`/`online`
   * events: a browser that reports offline may keep stale sockets "open" for a long time.
   */
  setOnline(online: boolean): void {
    this.#online = online
    for (const link of this.#links) {
      if (link instanceof WebSocketLink) {
        link.setOffline(!online)
      } else if (!online) {
        link.disconnect()
      } else if (link.peerId) {
        link.connect(link.peerId, link.peerMetadata)
      }
    }
    this.changed()
  }

  /** Bulk document fetchers of the hubs and relays that may answer, hubs first. */
  fetchers(): DocumentFetcher[] {
    return this.#links
      .filter((l) => l.endpoints().some((e) => e.state !== EndpointState.tokenRejected))
      .sort(
        (a, b) =>
          Number(a.endpoints()[0]?.kind !== EndpointKind.hub) -
          Number(b.endpoints()[0]?.kind !== EndpointKind.hub),
      )
      .flatMap((l) =>
        l.fetchDocuments
          ? [(ids: readonly string[], floor?: DocumentsFloor) => l.fetchDocuments!(ids, floor)]
          : [],
      )
  }

  /** Calls `cb` whenever an upstream peer (hub or relay) connects. */
  onUpstream(cb: () => void): () => void {
    this.#upstreamListeners.add(cb)
    return () => this.#upstreamListeners.delete(cb)
  }

  /** Stops listening to the network. */
  close(): void {
    for (const off of this.#offs) off()
  }

  #wire(): void {
    const { tracker, handshake, repo } = this.#parts
    for (const adapter of this.#parts.upstreamAdapters) {
      const link = isSyncLink(adapter) ? adapter : undefined
      const onPeer = ({
        peerId,
        peerMetadata,
      }: {
        peerId: PeerId
        peerMetadata: { storageId?: string }
      }) => {
        if (link && link.kindOf(peerId) === undefined) return
        tracker.addUpstream(peerId, peerMetadata?.storageId as never)
        tracker.checkAll()
        if (link) void handshake.run(link, peerId)
        this.changed()
        for (const cb of [...this.#upstreamListeners]) cb()
      }
      const onGone = ({ peerId }: { peerId: PeerId }) => {
        tracker.removeUpstream(peerId)
        this.changed()
      }
      adapter.on('peer-candidate', onPeer)
      adapter.on('peer-disconnected', onGone)
      this.#offs.push(() => {
        adapter.off('peer-candidate', onPeer)
        adapter.off('peer-disconnected', onGone)
      })
      if (link) this.#offs.push(link.onEndpointsChange(() => this.changed()))
    }
    const net = repo.networkSubsystem
    const onAny = () => this.changed()
    net.on('peer', onAny)
    net.on('peer-disconnected', onAny)
    this.#offs.push(() => {
      net.off('peer', onAny)
      net.off('peer-disconnected', onAny)
    })
  }
}
