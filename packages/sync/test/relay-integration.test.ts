// Two Node devices syncing through a real relay process (packages/relay's CLI), real sockets.
import { readdir } from 'node:fs/promises'
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { issueToken } from '@tabsync/relay'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type Device, type SyncStatus } from '../src/index.js'
import {
  RELAY_SECRET as SECRET,
  spawnRelay,
  tempDir as newTempDir,
  type RelayProcess,
} from './relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A relay process on `dataDir` (and `port`, to restart one), stopped by the cleanups. */
async function startRelay(dataDir: string, port?: number): Promise<RelayProcess> {
  const relay = await spawnRelay(dataDir, port === undefined ? {} : { port })
  cleanups.push(() => relay.stop())
  return relay
}

async function tempDir(): Promise<string> {
  const dir = await newTempDir()
  cleanups.push(dir.remove)
  return dir.path
}

/**
 * Resolves when the device's status satisfies `ok`. The deadline only makes a stuck run fail
 * fast with the status in the message instead of hitting the test timeout.
 */
function until(
  device: Device,
  ok: (s: SyncStatus) => boolean,
  what = 'status',
  deadlineMs = 20_000,
): Promise<SyncStatus> {
  return new Promise((resolve, reject) => {
    if (ok(device.status())) return resolve(device.status())
    const timer = setTimeout(() => {
      off()
      reject(new Error(`${device.deviceId}: no ${what}; status ${JSON.stringify(device.status())}`))
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

async function device(deviceId: string, syncUrl: string, storeUrl?: string, secret = SECRET) {
  // The relay enforces rights per role: the office creates the store, so it is a back office.
  const role = deviceId.startsWith('office')
    ? 'backoffice'
    : deviceId.startsWith('printer')
      ? 'printer'
      : 'terminal'
  const token = await issueToken({ secret, deviceId, storeIds: ['store-1'], role })
  const d = await openDevice({
    deviceId,
    token,
    endpoints: [{ url: syncUrl, kind: 'relay' }],
    storage: { directory: await tempDir() },
    backoff: { initialMs: 50, maxMs: 400 },
    ...(storeUrl ? { storeUrl } : {}),
  })
  cleanups.push(() => d.close())
  return d
}

// Regression: relay 04777fb quarantined a new document when automerge-repo's own `sync-state`
// chunk (saved after the first, heads-only, sync message) was stored before its content; the
// demo store's 19 documents created in one burst lost one. Fixed in relay c874356.
test('two Node devices sync a store and an order through a real relay process, across a relay restart', async () => {
  const data = await tempDir()
  const relay = await startRelay(data)

  const office = await device('office-1', relay.syncUrl)
  await until(office, (s) => s.state === 'online' && s.skew !== undefined)
  expect(office.status().skew?.flagged).toBe(false)
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  await until(office, (s) => s.unsynced === 0, 'store confirmed by the relay')

  const till = await device('till-1', relay.syncUrl, storeUrl)
  await till.ready()
  expect(till.store().name).toBe('Tabsync Bistro')
  const { url } = await till.openOrder('t3', { guests: 2 })
  const lineId = await till.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'pasta' }))
  await until(till, (s) => s.unsynced === 0 && s.lastSyncAt !== null)

  const seen = await new Promise<string[]>((resolve) => {
    const stop = office.watchOrder(url, (s) => {
      if (s.lines.length > 0) {
        stop()
        resolve(s.lines.map((l) => l.line.id))
      }
    })
  })
  expect(seen).toEqual([lineId])

  // The relay restarts on the same port and data: the till backs off, reconnects, syncs again.
  await relay.stop()
  await until(till, (s) => s.state === 'offline')
  const second = await till.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'tiramisu' }))
  expect(till.status().unsynced).toBe(1)
  await startRelay(data, relay.port) // stopped by the cleanups
  await until(till, (s) => s.state === 'online' && s.unsynced === 0)
  await until(office, (s) => s.state === 'online')
  const after = await new Promise<string[]>((resolve) => {
    const stop = office.watchOrder(url, (s) => {
      if (s.lines.length === 2) {
        stop()
        resolve(s.lines.map((l) => l.line.id))
      }
    })
  })
  expect(after.sort()).toEqual([lineId, second].sort())
  const day = await office.ordersOfDay()
  expect(day.map((e) => e.url)).toEqual([url])
})

test('a token signed with another secret is rejected once, and the device stops retrying', async () => {
  const relay = await startRelay(await tempDir())
  const intruder = await device(
    'till-9',
    relay.syncUrl,
    undefined,
    'another-secret-of-enough-length-42',
  )
  const status = await until(intruder, (s) => s.endpoints[0]?.state === 'token-rejected')
  expect(status.state).toBe('offline')
  expect(status.peers).toEqual([])
})

test('a printer device that adds an order line is refused by the relay and its endpoint says so', async () => {
  const relay = await startRelay(await tempDir())
  const office = await device('office-1', relay.syncUrl)
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const { url } = await office.openOrder('t1', { guests: 2 })
  await until(office, (s) => s.unsynced === 0, 'the order confirmed by the relay')

  const printer = await device('printer-1', relay.syncUrl, storeUrl)
  await printer.ready()
  await printer.orderSummary(url)
  await printer.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'pasta' }))
  // A named state, not a silent "1 unsynced": the relay closed with 4006 and the link stopped.
  const status = await until(printer, (s) => s.endpoints[0]?.state === 'refused')
  expect(status.state).toBe('offline')
  expect(status.unsynced).toBeGreaterThan(0)
  // The office never sees the line.
  expect((await office.orderSummary(url)).lines).toEqual([])
})

test('a new device gets the day in bulk from the relay and opens every order from its storage', async () => {
  const relay = await startRelay(await tempDir())
  const office = await device('office-1', relay.syncUrl)
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const urls: string[] = []
  for (const table of ['t1', 't2', 't3', 't1', 't4']) {
    const { url } = await office.openOrder(table, { guests: 2 })
    await office.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'pasta' }))
    urls.push(url)
  }
  await until(office, (s) => s.unsynced === 0, 'the day confirmed by the relay')

  const dir = await tempDir()
  const token = await issueToken({
    secret: SECRET,
    deviceId: 'till-new',
    storeIds: ['store-1'],
    role: 'terminal',
  })
  const cold = await openDevice({
    deviceId: 'till-new',
    token,
    storeUrl,
    endpoints: [{ url: relay.syncUrl, kind: 'relay' }],
    storage: { directory: dir },
  })
  cleanups.push(() => cold.close())
  const day = await cold.loadDay()
  expect(day.missing).toEqual([])
  expect(day.orders.map((o) => o.url).sort()).toEqual([...urls].sort())
  expect(day.orders.every((o) => o.summary.lines.length === 1)).toBe(true)
  // The store, each table, the 4 table-days of the day (t1-t4) and each order arrived as one
  // bulk chunk, not through a sync exchange.
  const files = await readdir(dir, { recursive: true })
  expect(files.filter((f) => /catch-up-[0-9a-f]{32}$/.test(f))).toHaveLength(
    1 + DEMO_TABLES.length + 4 + urls.length,
  )
})
