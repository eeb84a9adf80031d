import { describe, expect, test } from 'vitest'
import { isRelayError } from '../errors.js'
import { deviceOfPeer, isPeerOfDevice } from './peer-binding.js'
import { issueToken, verifyToken } from './token.js'
import { parseTtl } from './ttl.js'

const secret = 'unit-test-secret-0123456789abcdef'

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'accepted'
  } catch (e) {
    return isRelayError(e, 'unauthorized') ? e.reason : `other: ${String(e)}`
  }
}

describe('tokens', () => {
  test('issue then verify gives back the claims', async () => {
    const now = Date.now()
    const token = await issueToken({
      secret,
      deviceId: 'till-1',
      storeIds: ['s1', 's2'],
      role: 'printer',
      ttl: '2h',
      now,
    })
    const claims = await verifyToken(token, secret, now)
    expect(claims).toEqual({
      deviceId: 'till-1',
      storeIds: ['s1', 's2'],
      role: 'printer',
      expiresAt: (Math.floor(now / 1000) + 7200) * 1000,
      tokenId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
  })

  test('every token gets its own id (jti), so one token can be revoked', async () => {
    const options = { secret, deviceId: 'till-1', storeIds: ['s1'], role: 'terminal' } as const
    const [a, b] = await Promise.all([issueToken(options), issueToken(options)])
    const ids = await Promise.all([verifyToken(a, secret), verifyToken(b, secret)])
    expect(ids[0].tokenId).not.toBe(ids[1].tokenId)
    const chosen = await verifyToken(
      await issueToken({ ...options, tokenId: 'lost-tablet' }),
      secret,
    )
    expect(chosen.tokenId).toBe('lost-tablet')
  })

  test('each refusal has its reason', async () => {
    const now = Date.now()
    const token = await issueToken({
      secret,
      deviceId: 'till-1',
      storeIds: ['s1'],
      role: 'terminal',
      ttl: 60,
      now,
    })
    expect(await reasonOf(verifyToken(undefined, secret))).toBe('missing')
    expect(await reasonOf(verifyToken('x.y.z', secret))).toBe('malformed')
    expect(await reasonOf(verifyToken(token, 'another-secret-that-is-long-enough'))).toBe(
      'bad-signature',
    )
    expect(await reasonOf(verifyToken(token, secret, now + 61_000))).toBe('expired')
    expect(await reasonOf(verifyToken(token, secret, now))).toBe('accepted')
  })

  test('ids with a slash, empty stores and unknown roles cannot be issued', async () => {
    const base = { secret, storeIds: ['s1'], role: 'terminal' as const }
    await expect(issueToken({ ...base, deviceId: 'a/b' })).rejects.toThrow(/Cannot issue/)
    await expect(issueToken({ ...base, deviceId: 'a', storeIds: [] })).rejects.toThrow(
      /Cannot issue/,
    )
    await expect(issueToken({ ...base, deviceId: 'a', role: 'chef' as never })).rejects.toThrow(
      /Cannot issue/,
    )
    await expect(issueToken({ ...base, deviceId: 'a', secret: 'short' })).rejects.toThrow(/shorter/)
  })

  test('ttl syntax', () => {
    expect(parseTtl('45s')).toBe(45)
    expect(parseTtl('30m')).toBe(1800)
    expect(parseTtl('12h')).toBe(43_200)
    expect(parseTtl('7d')).toBe(604_800)
    expect(parseTtl('90')).toBe(90)
    expect(parseTtl(10)).toBe(10)
    for (const bad of ['', '0', '-1h', '1w', 'soon', 0])
      expect(() => parseTtl(bad)).toThrow(/Invalid ttl/)
  })
})

describe('peer binding', () => {
  test('a device may use its id and its id with a suffix, nothing else', () => {
    expect(isPeerOfDevice('till-1', 'till-1')).toBe(true)
    expect(isPeerOfDevice('till-1/tab-7', 'till-1')).toBe(true)
    expect(isPeerOfDevice('till-1/a/b', 'till-1')).toBe(true)
    expect(isPeerOfDevice('till-10', 'till-1')).toBe(false)
    expect(isPeerOfDevice('till-1/', 'till-1')).toBe(false)
    expect(isPeerOfDevice('till-2/till-1', 'till-1')).toBe(false)
    expect(isPeerOfDevice('till', 'till-1')).toBe(false)
    expect(isPeerOfDevice(`till-1/${'x'.repeat(300)}`, 'till-1')).toBe(false)
    expect(deviceOfPeer('till-1/tab-7')).toBe('till-1')
    expect(deviceOfPeer('till-1')).toBe('till-1')
  })
})
