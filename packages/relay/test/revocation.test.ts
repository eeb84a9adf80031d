// Revocation: a back office (HTTP) or the operator (CLI) revokes a device or one token; every
// relay and hub closes its sockets (4007) and refuses it from then on, also after restarts.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeJwt } from 'jose'
import { afterEach, expect, test } from 'vitest'
import { CloseCode } from '@tabsync/protocol'
import { tokenFor, until } from './helpers/devices.js'
import { closeCode, connectRaw, join as joinAs } from './helpers/raw-client.js'
import {
  TEST_SECRET,
  runCleanups,
  spawnRelay,
  tempDir,
  type RelayProcess,
} from './helpers/relay-process.js'

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'tabsync-relay.js')
const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

/** A joined raw socket of `deviceId`, with a promise of its close code and the time. (Wrapped:
 *  an async function returning a bare promise would wait for it.) */
async function connected(
  syncUrl: string,
  token: string,
  deviceId: string,
): Promise<{ closed: Promise<{ code: number; at: number }> }> {
  const outcome = await connectRaw(syncUrl, token)
  if (outcome.kind !== 'open') throw new Error(`expected a socket, got HTTP ${outcome.status}`)
  cleanups.push(async () => outcome.socket.terminate())
  const closed = closeCode(outcome.socket).then((code) => ({ code, at: Date.now() }))
  await joinAs(outcome.socket, deviceId)
  return { closed }
}

async function status(syncUrl: string, token: string): Promise<number> {
  const outcome = await connectRaw(syncUrl, token)
  if (outcome.kind === 'open') {
    outcome.socket.terminate()
    return 101
  }
  return outcome.status
}

async function revokeOverHttp(relay: RelayProcess, officeToken: string, body: object) {
  return fetch(`${relay.url}/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${officeToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

test('a device revoked by the back office is disconnected at once and refused, also after a relay restart', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  let relay = await spawnRelay(['--port', '0', '--data', data.path])
  cleanups.push(() => relay.stop())
  const tillToken = await tokenFor('till-1', 'store-a')
  const otherToken = await tokenFor('till-2', 'store-a')
  const storeBTill = await tokenFor('till-1', 'store-b')
  const office = await tokenFor('office-1', 'store-a', 'backoffice')
  const { closed } = await connected(relay.syncUrl, tillToken, 'till-1')
  const { closed: bystander } = await connected(relay.syncUrl, otherToken, 'till-2')

  // A terminal may not revoke; the back office may.
  expect((await revokeOverHttp(relay, otherToken, { device: 'till-1' })).status).toBe(403)
  const asked = Date.now()
  const res = await revokeOverHttp(relay, office, { device: 'till-1' })
  expect(res.status).toBe(200)
  expect(((await res.json()) as { revoked: object }).revoked).toMatchObject({
    kind: 'device',
    id: 'till-1',
    stores: ['store-a'],
    by: 'office-1',
  })
  const { code, at } = await closed
  expect(code).toBe(CloseCode.revoked)
  console.log(`revoked socket closed ${at - asked} ms after the request`)
  expect(await status(relay.syncUrl, tillToken)).toBe(401)
  // Scoped to the back office's store: the same device id in store B is not concerned.
  expect(await status(relay.syncUrl, storeBTill)).toBe(101)
  const metrics = await (await fetch(`${relay.url}/metrics`)).text()
  expect(metrics).toContain('tabsync_relay_denials_total{reason="revoked"} 1')
  expect(metrics).toContain('tabsync_relay_denials_total{reason="token-revoked"} 1')

  await relay.stop()
  relay = await spawnRelay(['--port', '0', '--data', data.path])
  expect(await status(relay.syncUrl, tillToken)).toBe(401)
  expect(await status(relay.syncUrl, otherToken)).toBe(101)
  // The bystander was only closed by the restart, never by the revocation.
  expect((await bystander).code).not.toBe(CloseCode.revoked)
  // /documents refuses the revoked device too.
  const docs = await fetch(`${relay.url}/documents?token=${tillToken}`, {
    method: 'POST',
    body: JSON.stringify({ ids: [] }),
  })
  expect(docs.status).toBe(401)
}, 60_000)

test('tabsync-relay revoke --token-id closes that token on the running relay; the device’s other tokens still work', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(['--port', '0', '--data', data.path])
  cleanups.push(() => relay.stop())
  const lost = await tokenFor('till-1', 'store-a')
  const fresh = await tokenFor('till-1', 'store-a')
  const { closed } = await connected(relay.syncUrl, lost, 'till-1')
  const jti = decodeJwt(lost).jti!
  expect(jti).toMatch(/^[0-9a-f-]{36}$/)

  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'revoke', '--token-id', jti, '--data', data.path], {
      env: { ...process.env, TABSYNC_SECRET: TEST_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.once('exit', (c) => (c === 0 ? resolve(stdout) : reject(new Error(`exit ${c}`))))
  })
  // Timed from the command's end (starting node and tsx takes seconds on a loaded machine).
  const asked = Date.now()
  expect(JSON.parse(out)).toMatchObject({ event: 'revoked', kind: 'token', id: jti, by: 'cli' })
  const { code, at } = await closed
  expect(code).toBe(CloseCode.revoked)
  console.log(`CLI-revoked socket closed ${at - asked} ms after the command ended`)
  expect(await status(relay.syncUrl, lost)).toBe(401)
  expect(await status(relay.syncUrl, fresh)).toBe(101)
}, 60_000)

test('a hub closes a device revoked at the cloud and keeps refusing it after its own restart with the cloud down', async () => {
  const cloudData = await tempDir()
  const hubData = await tempDir()
  cleanups.push(cloudData.remove, hubData.remove)
  const cloud = await spawnRelay(['--port', '0', '--data', cloudData.path])
  cleanups.push(() => cloud.stop())
  const hubArgs = [
    '--port',
    '0',
    '--data',
    hubData.path,
    '--upstream',
    cloud.syncUrl,
    '--upstream-token',
    await tokenFor('hub-1', 'store-a', 'hub'),
    '--upstream-retry-max-ms',
    '300',
  ]
  let hub = await spawnRelay(hubArgs)
  cleanups.push(() => hub.stop())
  await until(async () => {
    const health = (await (await fetch(`${hub.url}/healthz`)).json()) as {
      upstreamConnected?: boolean
    }
    return health.upstreamConnected === true
  }, 'hub linked upstream')

  const tillToken = await tokenFor('till-7', 'store-a')
  const { closed } = await connected(hub.syncUrl, tillToken, 'till-7')
  const office = await tokenFor('office-1', 'store-a', 'backoffice')
  const asked = Date.now()
  expect((await revokeOverHttp(cloud, office, { device: 'till-7' })).status).toBe(200)
  const { code, at } = await closed
  expect(code).toBe(CloseCode.revoked)
  console.log(`hub closed the revoked socket ${at - asked} ms after the cloud was asked`)
  expect(await status(hub.syncUrl, tillToken)).toBe(401)

  // The hub stored the list: without the cloud, after a restart, it still refuses.
  await cloud.stop()
  await hub.stop()
  hub = await spawnRelay(hubArgs)
  expect(await status(hub.syncUrl, tillToken)).toBe(401)
  expect(await status(hub.syncUrl, await tokenFor('till-8', 'store-a'))).toBe(101)
}, 90_000)
