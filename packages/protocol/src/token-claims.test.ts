import { expect, test } from 'vitest'
import { ProtocolError, ProtocolErrorKind } from './errors.js'
import { decodeJwtPayload, decodeTokenClaimsUnverified } from './token-claims.js'

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (payload: unknown) => `${b64url({ alg: 'HS256' })}.${b64url(payload)}.c2ln`

const claims = { sub: 'till-1', stores: ['store-1'], role: 'terminal', exp: 2_000_000_000 }

test('a token’s claims are read without its signature being checked', () => {
  expect(decodeTokenClaimsUnverified(jwt(claims))).toEqual(claims)
  // Non-ASCII survives the base64url decode (UTF-8, not Latin-1).
  const utf8 = { ...claims, extra: 'café ✓' }
  expect(decodeTokenClaimsUnverified(jwt(utf8))).toEqual(claims)
})

function kindOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (e) {
    return e instanceof ProtocolError ? e.kind : 'not a ProtocolError'
  }
  return undefined
}

test('a string that is not a JWT is refused with not-a-jwt', () => {
  for (const bad of [
    '',
    'abc',
    'a.b',
    `x.${b64url(claims)}`.slice(0, 5),
    'a.!!!.c',
    'a.bm90IGpzb24.c',
  ])
    expect(
      kindOf(() => decodeTokenClaimsUnverified(bad)),
      bad,
    ).toBe(ProtocolErrorKind.notAJwt)
})

test('a JWT whose payload is not Tabsync claims is refused with bad-claims', () => {
  for (const payload of [
    { ...claims, role: 'admin' },
    { ...claims, sub: 'a/b' },
    { ...claims, stores: [] },
    { sub: 'till-1' },
    [],
  ])
    expect(kindOf(() => decodeTokenClaimsUnverified(jwt(payload)))).toBe(
      ProtocolErrorKind.badClaims,
    )
})

test('a JWT payload is read whole without being checked as claims, and a non-JWT is refused', () => {
  expect(decodeJwtPayload(jwt({ sub: 'printer-7' }))).toEqual({ sub: 'printer-7' })
  expect(kindOf(() => decodeJwtPayload('not-a-jwt'))).toBe(ProtocolErrorKind.notAJwt)
})
