// Silent outages (packets stop, nothing is reset) on every link, with real relay processes and a
// TCP proxy that goes silent: the device's status leaves "online", the hub's /healthz says its
// upstream is down, and tills keep syncing through the hub, also across a hub restart.
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { issueToken } from '@tabsync/relay'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type Device, type SyncStatus } from '../src/index.js'
import { RELAY_SECRET, spawnRelay, tempDir, type RelayProcess } from './relay-process.js'
import { startSilentProxy } from './silent-proxy.js'

/** The relay's default heartbeat (2.5 s) times the 3 intervals a client tolerates. */
const SILENCE_TIMEOUT_MS = 7_500
/** Checked every ping interval (2.5 s): the hub's upstream link and the relay's device sockets. */
const UPSTREAM_DETECTION_MS = SILENCE_TIMEOUT_MS + 2_500
const SERVER_SIDE_DETECTION_MS = SILENCE_TIMEOUT_MS + 2_500
/** Room for a loaded 2-core machine, added to every bound. */
const SLACK_MS = 3_000
/** How long an order may take from one till to the other through the hub. */
const THROUGH_HUB_MS = 10_000
/** Setup steps (connecting, creating the 19-document store) are not what is measured here. */
const SETUP_MS = 30_000

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function dir(): Promise<string> {
  const d = await tempDir()
  cleanups.push(d.remove)
  return d.path
}

async function relay(): Promise<RelayProcess> {
  const r = await spawnRelay(await dir())
  cleanups.push(r.stop)
  return r
}

/** Resolves with the first status that satisfies `ok`; rejects after `deadlineMs`. */
function until(
  device: Device,
  ok: (s: SyncStatus) => boolean,
  what: string,
  deadlineMs: number,
): Promise<SyncStatus> {
  return new Promise((resolve, reject) => {
    if (ok(device.status())) return resolve(device.status())
    const timer = setTimeout(() => {
      off()
      reject(
        new Error(
          `${device.deviceId}: no ${what} within ${deadlineMs} ms; ${JSON.stringify(device.status())}`,
        ),
      )
    }, deadlineMs)
    const off = device.onStatus((s) => {
      if (ok(s)) {
        clearTimeout(timer)
        off()
        resolve(s)
      }
    })
  })
}

/** Polls `check` every 50 ms; rejects with `what` after `deadlineMs`. */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  deadlineMs: number,
): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() - started > deadlineMs) throw new Error(`no ${what} within ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function device(
  deviceId: string,
  endpoint: { url: string; kind: 'hub' | 'relay' },
  storeUrl?: string,
  role: 'terminal' | 'backoffice' = 'terminal',
): Promise<Device> {
  const token = await issueToken({
    secret: RELAY_SECRET,
    deviceId,
    storeIds: ['store-1'],
    role,
  })
  const d = await openDevice({
    deviceId,
    token,
    endpoints: [endpoint],
    storage: { directory: await dir() },
    backoff: { initialMs: 100, maxMs: 1_000 },
    ...(storeUrl ? { storeUrl } : {}),
  })
  cleanups.push(() => d.close())
  return d
}

async function health(
  relay: RelayProcess,
): Promise<{ upstreamConnected?: boolean; connections: number }> {
  const res = await fetch(`${relay.url}/healthz`)
  return (await res.json()) as { upstreamConnected?: boolean; connections: number }
}

async function upstreamConnected(hub: RelayProcess): Promise<boolean | undefined> {
  return (await health(hub)).upstreamConnected
}

/** Opens an order with one line on `from`; resolves once `to` lists it with that line. */
async function orderTravels(from: Device, to: Device, table: string): Promise<number> {
  const started = Date.now()
  const { url } = await from.openOrder(table, { guests: 2 })
  await from.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'pasta' }))
  await eventually(
    async () => ((await to.ordersOfDay()).some((e) => e.url === url) ? true : undefined),
    `order ${url} on ${to.deviceId}`,
    THROUGH_HUB_MS,
  )
  await new Promise<void>((resolve) => {
    const stop = to.watchOrder(url, (s) => {
      if (s.lines.length === 1) {
        stop()
        resolve()
      }
    })
  })
  return Date.now() - started
}

test(`a device whose relay goes silent leaves "online" within ${SILENCE_TIMEOUT_MS} ms and is back once packets flow`, async () => {
  const cloud = await relay()
  const proxy = await startSilentProxy(cloud.port)
  cleanups.push(() => proxy.close())
  const till = await device('till-1', { url: proxy.syncUrl, kind: 'relay' })
  await until(till, (s) => s.state === 'online', 'online', SETUP_MS)

  proxy.silence()
  const silencedAt = Date.now()
  const lost = await until(
    till,
    (s) => s.state !== 'online',
    'status leaving online',
    SILENCE_TIMEOUT_MS + SLACK_MS,
  )
  const detectedMs = Date.now() - silencedAt
  console.info(`silent relay detected by the device after ${detectedMs} ms`)
  expect(lost.state).toBe('offline')
  expect(lost.peers).toEqual([])
  expect(['connecting', 'closed']).toContain(lost.endpoints[0]?.state)
  // The relay, too, gives up on the silent socket (its pings go unanswered): the device's peer
  // does not linger there as connected.
  await eventually(
    async () => ((await health(cloud)).connections === 0 ? true : undefined),
    'the relay dropping the silent socket',
    SERVER_SIDE_DETECTION_MS + SLACK_MS,
  )
  console.info(`silent device socket dropped by the relay after ${Date.now() - silencedAt} ms`)
  // It keeps trying (each attempt gives up after its connect deadline) and is back after resume.
  const attempts = proxy.accepted()
  await eventually(async () => (proxy.accepted() > attempts ? true : undefined), 'a retry', 10_000)
  proxy.resume()
  await until(till, (s) => s.state === 'online', 'online again', 10_000)
}, 60_000)

test('with the internet silent, the hub says upstreamConnected: false and keeps two tills in sync, also after a hub restart', async () => {
  const cloud = await relay()
  const proxy = await startSilentProxy(cloud.port)
  cleanups.push(() => proxy.close())
  const hubToken = await issueToken({
    secret: RELAY_SECRET,
    deviceId: 'hub-1',
    storeIds: ['store-1'],
    role: 'hub',
  })
  const hubData = await dir()
  // Redial at most 2 s apart, so the link is back soon after the proxy resumes.
  const hubArgs = [
    '--upstream',
    proxy.syncUrl,
    '--upstream-token',
    hubToken,
    '--upstream-retry-max-ms',
    '2000',
  ]
  let hub = await spawnRelay(hubData, { args: hubArgs })
  cleanups.push(() => hub.stop())
  await eventually(
    async () => ((await upstreamConnected(hub)) ? true : undefined),
    'hub linked upstream',
    SETUP_MS,
  )

  // Till A also sets the store up, which only a back-office token may (relay rights per role).
  const tillA = await device('till-a', { url: hub.syncUrl, kind: 'hub' }, undefined, 'backoffice')
  await until(tillA, (s) => s.state !== 'offline', 'till A on the hub', SETUP_MS)
  const { storeUrl } = await tillA.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  await until(tillA, (s) => s.unsynced === 0, 'store on the hub', SETUP_MS)
  const tillB = await device('till-b', { url: hub.syncUrl, kind: 'hub' }, storeUrl)
  await tillB.ready()

  proxy.silence()
  const silencedAt = Date.now()
  await eventually(
    async () => ((await upstreamConnected(hub)) === false ? true : undefined),
    '/healthz upstreamConnected: false',
    UPSTREAM_DETECTION_MS + SLACK_MS,
  )
  console.info(`silent upstream reported by /healthz after ${Date.now() - silencedAt} ms`)

  const during = await orderTravels(tillA, tillB, 't1')
  console.info(`order from till A to till B through the hub during the outage: ${during} ms`)

  // The hub restarts while the internet is still silent: its upstream link hangs in connect.
  const port = hub.port
  await hub.stop()
  hub = await spawnRelay(hubData, { port, args: hubArgs })
  expect(await upstreamConnected(hub)).toBe(false)
  await until(tillA, (s) => s.peers.length > 0, 'till A back on the hub', 10_000)
  await until(tillB, (s) => s.peers.length > 0, 'till B back on the hub', 10_000)
  const afterRestart = await orderTravels(tillA, tillB, 't2')
  console.info(`order from till A to till B after the hub restart: ${afterRestart} ms`)
  expect(await upstreamConnected(hub)).toBe(false)

  // The internet comes back: the hub links up again.
  proxy.resume()
  await eventually(
    async () => ((await upstreamConnected(hub)) ? true : undefined),
    'hub linked upstream again',
    20_000,
  )
}, 120_000)
