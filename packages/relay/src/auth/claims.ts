import type { DeviceRole } from '@tabsync/core'
import type { TokenClaimsPayload } from '@tabsync/protocol'

// The protocol may not import core: this fails to compile if its roles and DeviceRole drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const rolesMatch: Same<TokenClaimsPayload['role'], DeviceRole> = true
void rolesMatch

/** The verified identity a token carries: which device, of which stores, in which role. */
export interface TokenClaims {
  /** Device id (`sub`). */
  readonly deviceId: string
  /** Store ids this device may read and write (`stores`). */
  readonly storeIds: readonly string[]
  readonly role: DeviceRole
  /** Expiry, epoch milliseconds. */
  readonly expiresAt: number
  /** The token's id (`jti`), when it has one. */
  readonly tokenId?: string
}
