// Per-device and per-connection bounds, in process: connections per device, time to join, token
// expiry while connected, a second socket joining with the same peer id.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { issueToken } from '../src/auth/token.js'
import { CloseCode } from '@tabsync/protocol'
import { startRelay, type RunningRelay } from '../src/server.js'
import { tokenFor } from './helpers/devices.js'
import { closeCode, connectRaw, join } from './helpers/raw-client.js'
import { tempDir, TEST_SECRET } from './helpers/relay-process.js'

let relay: RunningRelay
let data: Awaited<ReturnType<typeof tempDir>>

beforeAll(async () => {
  data = await tempDir()
  relay = await startRelay({
    port: 0,
    dataDir: data.path,
    secret: TEST_SECRET,
    limits: { connectionsPerDevice: 2, authTimeoutMs: 300 },
  })
})

afterAll(async () => {
  await relay?.close()
  await data?.remove()
})

async function open(token: string) {
  const outcome = await connectRaw(relay.syncUrl, token)
  if (outcome.kind !== 'open') throw new Error(`expected a socket, got HTTP ${outcome.status}`)
  return outcome.socket
}

test('a device over its connection budget gets 4004; the others stay open', async () => {
  const token = await tokenFor('till-many', 'store-a')
  const first = await open(token)
  await join(first, 'till-many/a')
  const second = await open(token)
  await join(second, 'till-many/b')
  const third = await open(token)
  expect(await closeCode(third)).toBe(CloseCode.tooManyConnections)
  expect(first.readyState).toBe(first.OPEN)
  expect(second.readyState).toBe(second.OPEN)
  first.close()
  second.close()
})

test('a socket that does not join in time gets 4001', async () => {
  const socket = await open(await tokenFor('till-slow', 'store-a'))
  expect(await closeCode(socket)).toBe(CloseCode.authTimeout)
})

test('a token that expires while connected closes the socket with 4005', async () => {
  const token = await issueToken({
    secret: TEST_SECRET,
    deviceId: 'till-short',
    storeIds: ['store-a'],
    role: 'terminal',
    ttl: 2,
  })
  const socket = await open(token)
  await join(socket, 'till-short')
  expect(await closeCode(socket)).toBe(CloseCode.tokenExpired)
})

test('a second socket joining with the same peer id replaces the first (4010)', async () => {
  const token = await tokenFor('till-dup', 'store-a')
  const first = await open(token)
  await join(first, 'till-dup')
  const firstClosed = closeCode(first)
  const second = await open(token)
  await join(second, 'till-dup')
  expect(await firstClosed).toBe(CloseCode.replaced)
  expect(second.readyState).toBe(second.OPEN)
  second.close()
})

test('sockets on other paths are refused', async () => {
  const outcome = await connectRaw(
    relay.syncUrl.replace('/sync', '/other'),
    await tokenFor('x', 'store-a'),
  )
  expect(outcome).toEqual({ kind: 'http', status: 404 })
})
