import type { DeviceRole } from '@tabsync/core'
import type { TokenClaims } from '../auth/claims.js'

/**
 * Who is on the other end of a connection, as far as access is concerned: a device (from its
 * verified token) or, on a hub, the upstream relay (trusted for the hub's own stores).
 */
export interface Principal {
  /** The automerge-repo peer id bound to this connection. */
  readonly peerId: string
  /** Device id from the token (`sub`); for the upstream relay `upstream:<its peer id>`. */
  readonly deviceId: string
  /** Stores this principal may read and write. */
  readonly storeIds: readonly string[]
  /** True for the upstream relay seen from a hub. */
  readonly upstream: boolean
  /** The token's role; absent for the upstream relay (trusted for the hub's stores). */
  readonly role?: DeviceRole
}

/** A device as its verified token describes it, reached as `peerId`. */
export function devicePrincipal(claims: TokenClaims, peerId: string): Principal {
  return {
    peerId,
    deviceId: claims.deviceId,
    storeIds: claims.storeIds,
    upstream: false,
    role: claims.role,
  }
}
