import { afterEach, expect, test } from 'vitest'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import { SignJWT } from 'jose'
import { startStatusServer } from '../src/http/status-server.js'
import { storeTokenAuthorizer } from '../src/http/store-token-auth.js'
import { parseBridgeArgs } from '../src/cli/bridge-args.js'
import type { BridgeStatus } from '../src/bridge/bridge-status.js'
import { addLine, fire } from '@tabsync/core'
import { tempDir } from './helpers.js'
import { openStoreNetwork, openTable, startBridge } from './store-network.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

const SECRET = 'status-server-test-secret-0123456789'

/** A store token as @tabsync/relay issues them (HS256: sub, stores, role, exp). */
function token(role: string, storeId: string, secret = SECRET): Promise<string> {
  return new SignJWT({ stores: [storeId], role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('till-1')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret))
}

test('terminals read GET /status and ask for reprints with POST /reprint/:ticketId', async () => {
  const world = await openStoreNetwork()
  cleanup.push(() => world.close())
  const printer = await startFakePrinter()
  const { bridge, source } = startBridge(await world.printer(), tempDir(), [
    { id: 'kitchen-printer', url: printer.url },
  ])
  const server = await startStatusServer({
    bridge,
    authorize: storeTokenAuthorizer({ secret: SECRET, storeId: 'store-1' }),
    allowOrigin: 'https://pos.example',
  })
  const auth = { authorization: `Bearer ${await token('terminal', 'store-1')}` }
  cleanup.push(async () => {
    await server.close()
    await bridge.stop()
    await source.close()
    await printer.close()
  })
  const url = await openTable(world.anna)
  const [ticketId] = await world.anna.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'pizza' })
    return fire(d, ctx)
  })
  await printer.waitForReceipts(1)
  await bridge.whenIdle()

  const res = await fetch(`${server.url}/status`)
  expect(res.status).toBe(200)
  expect(res.headers.get('access-control-allow-origin')).toBe('https://pos.example')
  const status = (await res.json()) as BridgeStatus
  expect(status.printers[0]).toMatchObject({
    id: 'kitchen-printer',
    name: 'Kitchen',
    state: 'ready',
    queue: [],
  })

  // Refused without a token, with a bad one, for another store or a role that may not.
  const refusals = []
  for (const authorization of [
    undefined,
    'Bearer not-a-jwt',
    `Bearer ${await token('terminal', 'store-1', 'another-secret-0123456789abcdef')}`,
    `Bearer ${await token('terminal', 'store-2')}`,
    `Bearer ${await token('printer', 'store-1')}`,
    `Bearer ${await token('kitchen', 'store-1')}`,
  ]) {
    for (const verb of ['reprint', 'confirm']) {
      const r = await fetch(`${server.url}/${verb}/${ticketId}`, {
        method: 'POST',
        ...(authorization ? { headers: { authorization } } : {}),
      })
      refusals.push(r.status)
    }
  }
  expect(refusals).toEqual([401, 401, 401, 401, 401, 401, 403, 403, 403, 403, 403, 403])
  expect(printer.receipts).toHaveLength(1) // nothing reprinted by the refused calls

  const reprint = await fetch(`${server.url}/reprint/${ticketId}`, {
    method: 'POST',
    headers: auth,
  })
  expect(reprint.status).toBe(202)
  expect(await reprint.json()).toEqual({ printers: ['kitchen-printer'] })
  await printer.waitForReceipts(2)
  expect(printer.receipts[1]!.reprint).toBe(true)

  const post = { method: 'POST', headers: auth }
  expect((await fetch(`${server.url}/reprint/nope`, post)).status).toBe(404)
  expect((await fetch(`${server.url}/confirm/${ticketId}`, post)).status).toBe(404)
  expect((await fetch(`${server.url}/reprint/a%2Fb`, post)).status).toBe(400)
})

test('CLI arguments: printers, endpoints, token subject as device id, operator-friendly errors', () => {
  const payload = Buffer.from(JSON.stringify({ sub: 'printer-7' })).toString('base64url')
  const config = parseBridgeArgs(
    [
      '--store',
      'automerge:abc',
      '--endpoint',
      'ws://hub.local:8787/sync',
      '--token',
      `h.${payload}.s`,
      '--printer',
      'kitchen-printer=tcp://10.0.0.50:9100',
      '--printer',
      'bar-printer=tcp://10.0.0.51?probe=0',
      '--http',
      '0.0.0.0:8790',
    ],
    {},
  )
  expect(config).toMatchObject({
    storeUrl: 'automerge:abc',
    endpoints: ['ws://hub.local:8787/sync'],
    deviceId: 'printer-7',
    printers: [
      { id: 'kitchen-printer', url: 'tcp://10.0.0.50:9100' },
      { id: 'bar-printer', url: 'tcp://10.0.0.51?probe=0' },
    ],
    http: { host: '0.0.0.0', port: 8790 },
  })
  expect(() => parseBridgeArgs(['--store', 'automerge:abc'], {})).toThrow(/--printer/)
  expect(() => parseBridgeArgs(['--printer', 'k=tcp://x'], {})).toThrow(/--store/)
  expect(() => parseBridgeArgs(['--store', 'automerge:a', '--printer', 'k=http://x'], {})).toThrow(
    /tcp/,
  )
  expect(parseBridgeArgs(['--help'], {})).toBe('help')
})

test('the bridge arguments answer --help and --version before checking the required flags', () => {
  expect(parseBridgeArgs(['--help'], {})).toBe('help')
  expect(parseBridgeArgs(['-h'], {})).toBe('help')
  expect(parseBridgeArgs(['--version'], {})).toBe('version')
  expect(parseBridgeArgs(['--store', 'automerge:abc', '-V'], {})).toBe('version')
})
