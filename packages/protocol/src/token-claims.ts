import { z } from 'zod'
import { ProtocolError, ProtocolErrorKind } from './errors.js'

/**
 * Device and store ids as they may appear in a token. No `/`: the peer id of a device is
 * `<deviceId>` or `<deviceId>/<suffix>`, so a `/` in a device id would let device `a` claim the
 * peer ids of a device called `a/b`.
 */
export const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/

/** The roles a token may carry; equal to `@tabsync/core`'s `DeviceRole` values (the protocol
 *  depends on nothing of Tabsync; the relay's type check keeps the two equal). */
export const TOKEN_ROLES = ['terminal', 'kitchen', 'hub', 'printer', 'backoffice'] as const

/** Schema of a Tabsync token's claims, the JWT payload as the relay signs it. */
export const tokenClaimsSchema = z.object({
  sub: z.string().regex(ID_PATTERN),
  stores: z.array(z.string().regex(ID_PATTERN)).min(1).max(64),
  role: z.enum(TOKEN_ROLES),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  /** Token id: lets one token be revoked. Tokens issued before it existed have none. */
  jti: z.string().regex(ID_PATTERN).optional(),
})
/** A token's claims as they travel (JWT payload names). */
export type TokenClaimsPayload = z.infer<typeof tokenClaimsSchema>

/**
 * The claims of a token, read WITHOUT verifying its signature or expiry: for a program that
 * needs its own device id or stores (a hub, a print bridge) and may not hold the relay's secret.
 * Never use it to decide access; the relay verifies.
 *
 * @throws {ProtocolError} `not-a-jwt` or `bad-claims`.
 * @example
 * decodeTokenClaimsUnverified(token).sub // 'till-1'
 */
export function decodeTokenClaimsUnverified(token: string): TokenClaimsPayload {
  const parsed = tokenClaimsSchema.safeParse(decodeJwtPayload(token))
  if (!parsed.success)
    throw new ProtocolError(ProtocolErrorKind.badClaims, 'token claims are not Tabsync claims', {
      cause: parsed.error,
    })
  return parsed.data
}

/**
 * The JSON payload of a JWT, unverified and unchecked: for a caller that needs one claim of a
 * token that may not be a complete Tabsync token.
 *
 * @throws {ProtocolError} `not-a-jwt`.
 */
export function decodeJwtPayload(token: string): unknown {
  const parts = token.split('.')
  const payload = parts[1]
  if (parts.length !== 3 || !payload || !/^[A-Za-z0-9_-]+$/.test(payload))
    throw new ProtocolError(ProtocolErrorKind.notAJwt, 'token is not a JWT')
  try {
    // atob, not Buffer: the protocol runs in browsers too.
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown
  } catch (e) {
    throw new ProtocolError(ProtocolErrorKind.notAJwt, 'token payload is not JSON', { cause: e })
  }
}
