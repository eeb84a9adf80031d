// A document this device cannot have (refused by the relay, or from another store) ends a wait
// with a typed error within `findTimeoutMs`, never a promise that hangs (issue 10, item 10).
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { openOrder } from '@tabsync/core'
import { issueToken } from '@tabsync/relay'
import { afterEach, expect, test } from 'vitest'
import { isSyncError, openDevice, type Device, type SyncError } from '../src/index.js'
import {
  RELAY_SECRET as SECRET,
  spawnRelay as spawnRelayProcess,
  tempDir as newTempDir,
} from './relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function tempDir(): Promise<string> {
  const dir = await newTempDir()
  cleanups.push(dir.remove)
  return dir.path
}

/** A relay process on a fresh directory, stopped by the cleanups; its sync URL. */
async function spawnRelay(): Promise<string> {
  const relay = await spawnRelayProcess(await tempDir())
  cleanups.push(() => relay.stop())
  return relay.syncUrl
}

async function device(
  deviceId: string,
  storeId: string,
  options: { syncUrl?: string; storeUrl?: string } = {},
): Promise<Device> {
  const token = await issueToken({
    secret: SECRET,
    deviceId,
    storeIds: [storeId],
    // These devices create their stores: store configuration is the back office's right.
    role: 'backoffice',
  })
  const d = await openDevice({
    deviceId,
    token,
    ...(options.syncUrl ? { endpoints: [{ url: options.syncUrl, kind: 'relay' as const }] } : {}),
    storage: { directory: await tempDir() },
    backoff: { initialMs: 50, maxMs: 400 },
    findTimeoutMs: 1_500,
    ...(options.storeUrl ? { storeUrl: options.storeUrl } : {}),
  })
  cleanups.push(() => d.close())
  return d
}

function online(d: Device): Promise<void> {
  return new Promise((resolve) => {
    if (d.status().state === 'online') return resolve()
    const off = d.onStatus((s) => {
      if (s.state === 'online') {
        off()
        resolve()
      }
    })
  })
}

function synced(d: Device): Promise<void> {
  return new Promise((resolve) => {
    if (d.status().unsynced === 0) return resolve()
    const off = d.onStatus((s) => {
      if (s.unsynced === 0) {
        off()
        resolve()
      }
    })
  })
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  return 'resolved'
}

test('a store-B order asked for by a store-A device through a real relay: orderSummary, watchOrder and ready reject as unavailable instead of hanging', async () => {
  const syncUrl = await spawnRelay()
  const officeB = await device('office-b', 'store-b', { syncUrl })
  await online(officeB)
  const { storeUrl: storeB } = await officeB.createStore({
    ...demoStoreInit('store-b', () => ''),
    tables: DEMO_TABLES,
  })
  const { url: orderB } = await officeB.openOrder('t1')
  await synced(officeB)

  const tillA = await device('till-a', 'store-a', { syncUrl })
  await online(tillA)
  await tillA.createStore({ ...demoStoreInit('store-a', () => ''), tables: DEMO_TABLES })

  const summary = await rejection(tillA.orderSummary(orderB))
  expect(isSyncError(summary, 'unavailable'), String(summary)).toBe(true)

  const watched = await new Promise<SyncError>((resolve) => {
    tillA.watchOrder(
      orderB,
      () => resolve(new Error('called back with data') as SyncError),
      resolve,
    )
  })
  expect(isSyncError(watched, 'unavailable'), String(watched)).toBe(true)

  // A device paired with the other store's URL: ready() says so instead of waiting forever.
  const pairedWrong = await device('till-a2', 'store-a', { syncUrl, storeUrl: storeB })
  await online(pairedWrong)
  const notReady = await rejection(pairedWrong.ready())
  expect(isSyncError(notReady, 'unavailable'), String(notReady)).toBe(true)
}, 60_000)

test('an order of another store that reached this device anyway is forbidden, not shown', async () => {
  const till = await device('till-a', 'store-a')
  await till.createStore({ ...demoStoreInit('store-a', () => ''), tables: DEMO_TABLES })
  const foreign = openOrder(
    { deviceId: 'office-b', clock: till.clock, store: { ...till.store(), storeId: 'store-b' } },
    { tableId: 't1' },
  )
  const handle = till.repo.create(foreign.doc)
  const error = await rejection(till.orderSummary(handle.url))
  expect(isSyncError(error, 'forbidden'), String(error)).toBe(true)
})
