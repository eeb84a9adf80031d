import { DeviceRole } from '@tabsync/core'
import { z } from 'zod'

/**
 * Device and store ids as they may appear in a token. No `/`: the peer id of a device is
 * `<deviceId>` or `<deviceId>/<suffix>`, so a `/` in a device id would let device `a` claim the
 * peer ids of a device called `a/b`.
 */
export const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/

/** Schema of a Tabsync token's claims (after the signature and expiry were verified). */
export const tokenClaimsSchema = z.object({
  sub: z.string().regex(ID_PATTERN),
  stores: z.array(z.string().regex(ID_PATTERN)).min(1).max(64),
  role: z.enum([
    DeviceRole.terminal,
    DeviceRole.kitchen,
    DeviceRole.hub,
    DeviceRole.printer,
    DeviceRole.backoffice,
  ]),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  /** Token id: lets one token be revoked. Tokens issued before it existed have none. */
  jti: z.string().regex(ID_PATTERN).optional(),
})

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
