import { randomUUID } from 'node:crypto'
import type { DeviceRole } from '@tabsync/core'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import { RelayError, RelayErrorKind } from '../errors.js'
import { tokenClaimsSchema } from '@tabsync/protocol'
import type { TokenClaims } from './claims.js'
import { parseTtl } from './ttl.js'

/** A signing secret as a string (env var, secret file) or raw bytes. */
export type Secret = string | Uint8Array

const ALGORITHM = 'HS256'

function keyOf(secret: Secret): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (key.byteLength < 16) {
    throw new RelayError(RelayErrorKind.invalidInput, 'weak-secret', 'Secret shorter than 16 bytes')
  }
  return key
}

/** Input of {@link issueToken}. */
export interface IssueTokenOptions {
  readonly secret: Secret
  readonly deviceId: string
  readonly storeIds: readonly string[]
  readonly role: DeviceRole
  /** `12h`, `30m`, `7d`, or seconds. Default `12h`. */
  readonly ttl?: string | number
  /** Clock for tests, epoch ms. */
  readonly now?: number
  /** Token id (`jti`) to revoke this one token later; default a random UUID. */
  readonly tokenId?: string
}

/**
 * Signs a Tabsync device token (JWT HS256): `sub` = device id, `stores`, `role`, `exp`, `jti`.
 * Throws `invalid-input` when the ids or role would not pass {@link verifyToken}.
 *
 * @example
 * const token = await issueToken({ secret, deviceId: 'till-1', storeIds: ['store-1'], role: 'terminal' })
 * new WebSocket('ws://relay:8787/sync', ['tabsync.v1', `tabsync.token.${token}`])
 */
export async function issueToken(options: IssueTokenOptions): Promise<string> {
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000)
  const exp = nowSeconds + parseTtl(options.ttl ?? '12h')
  const jti = options.tokenId ?? randomUUID()
  const claims = {
    sub: options.deviceId,
    stores: [...options.storeIds],
    role: options.role,
    exp,
    jti,
  }
  const parsed = tokenClaimsSchema.safeParse({ ...claims, iat: nowSeconds })
  if (!parsed.success) {
    throw new RelayError(
      RelayErrorKind.invalidInput,
      'bad-claims',
      `Cannot issue token: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    )
  }
  return new SignJWT({ stores: claims.stores, role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(keyOf(options.secret))
}

/**
 * Verifies a token's signature, expiry and claim shape. Throws an `unauthorized`
 * {@link RelayError} whose `reason` is one of `missing`, `malformed`, `bad-signature`,
 * `expired`, `bad-claims`.
 */
export async function verifyToken(
  token: string | null | undefined,
  secret: Secret,
  now: number = Date.now(),
): Promise<TokenClaims> {
  if (!token) throw unauthorized('missing', 'No token')
  let payload: unknown
  try {
    ;({ payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(now),
    }))
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw unauthorized('expired', 'Token expired', e)
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw unauthorized('bad-signature', 'Token signature does not verify', e)
    }
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthorized('bad-claims', `Token claims invalid: ${e.message}`, e)
    }
    throw unauthorized('malformed', 'Token is not a valid JWT', e)
  }
  const parsed = tokenClaimsSchema.safeParse(payload)
  if (!parsed.success) throw unauthorized('bad-claims', 'Token claims have the wrong shape')
  return {
    deviceId: parsed.data.sub,
    storeIds: parsed.data.stores,
    role: parsed.data.role,
    expiresAt: parsed.data.exp * 1000,
    ...(parsed.data.jti === undefined ? {} : { tokenId: parsed.data.jti }),
  }
}

function unauthorized(reason: string, message: string, cause?: unknown): RelayError {
  return new RelayError(RelayErrorKind.unauthorized, reason, message, { cause })
}
