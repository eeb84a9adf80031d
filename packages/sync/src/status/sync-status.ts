import type { SkewReport } from '@tabsync/core'
import { EndpointKind, EndpointState, type EndpointStatus } from '../network/sync-link.js'
import type { OutdatedServer } from './outdated-servers.js'

/** How the device reaches the rest of the store right now. */
export const ConnectionState = {
  /** Connected to the relay (and to the hub, if one is configured). */
  online: 'online',
  /** Only the hub is reachable (internet down): work syncs in the store and reaches the cloud later. */
  viaHub: 'via-hub',
  /** A hub is configured but only the relay is reachable. */
  viaRelay: 'via-relay',
  /** No hub or relay reachable: work is saved on this device only. */
  offline: 'offline',
} as const
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState]

/** What a terminal shows about sync. */
export interface SyncStatus {
  readonly state: ConnectionState
  readonly endpoints: readonly EndpointStatus[]
  /** automerge-repo peer ids connected now (hub, relay, other tabs). */
  readonly peers: readonly string[]
  /** Local documents with changes no relay or hub has confirmed yet (persisted across restarts). */
  readonly unsynced: number
  /** Of those, the orders (checks): "3 orders · 14 changes waiting". */
  readonly unsyncedOrders: number
  /** Local saves (commands) in those documents not yet confirmed: "14 changes waiting". */
  readonly unsyncedChanges: number
  /** When a hub or relay last confirmed this device's heads of a document (calibrated ms). */
  readonly lastSyncAt: number | null
  /** This device's wall clock against the relay's time; undefined before the first handshake. */
  readonly skew: SkewReport | undefined
  /**
   * Hubs and relays that do not serve a feature this store uses (a store on table-days, a relay
   * from before them): they refuse that work, so other devices do not see it until the server is
   * updated. Empty when every server that answered serves what the store uses.
   */
  readonly outdated: readonly OutdatedServer[]
}

/** The {@link ConnectionState} for a set of endpoints. */
export function connectionState(endpoints: readonly EndpointStatus[]): ConnectionState {
  const open = (kind: EndpointKind) =>
    endpoints.some((e) => e.kind === kind && e.state === EndpointState.open)
  const hubConfigured = endpoints.some((e) => e.kind === EndpointKind.hub)
  const hub = open(EndpointKind.hub)
  const relay = open(EndpointKind.relay)
  if (relay && (hub || !hubConfigured)) return ConnectionState.online
  if (hub && !relay) return ConnectionState.viaHub
  if (relay) return ConnectionState.viaRelay
  return ConnectionState.offline
}
