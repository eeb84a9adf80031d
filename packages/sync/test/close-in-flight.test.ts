// Device.close waits (bounded) for the documents it is opening: a device closed while its day
// view is still finding the tables and checks leaves them stored, so the same storage works
// offline afterwards (the print bridge's crash test closed its device right after a ticket
// arrived and the offline process found no tables). A find that no peer can answer does not
// hold the close.
import { Repo, generateAutomergeUrl, type PeerId } from '@automerge/automerge-repo'
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test } from 'vitest'
import { MemoryStorageAdapter, openDevice, silentLogger } from '../src/index.js'
import { createSimNetwork } from '../src/testing/index.js'

const cleanup: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

/** A hub and a till that created the store and opened a check with a line on table t1. */
async function storeWithCheck(seed: number) {
  // Slow enough wires that the tables are still being found when the device closes.
  const net = createSimNetwork({ seed, faults: { minDelayMs: 20, maxDelayMs: 40 } })
  const hub = new Repo({
    network: [net.adapter('hub', { kind: 'hub' })],
    peerId: 'hub' as PeerId,
    sharePolicy: async () => true,
  })
  cleanup.push(() => hub.shutdown().catch(() => undefined))
  const till = await openDevice({
    deviceId: 'till-1',
    storage: 'memory',
    network: [net.adapter('till-1')],
    logger: silentLogger,
  })
  cleanup.push(() => till.close())
  net.link('till-1', 'hub')
  const { storeUrl } = await till.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const { url } = await till.openOrder('t1')
  await till.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'veg-curry' }))
  return { net, storeUrl, url }
}

test('a device closed while its day view is opening the tables and checks leaves them stored for an offline start', async () => {
  const { net, storeUrl, url } = await storeWithCheck(11)
  const storage = new MemoryStorageAdapter()
  const printer = await openDevice({
    deviceId: 'printer-1',
    storeUrl,
    storage,
    network: [net.adapter('printer-1')],
    logger: silentLogger,
  })
  net.link('printer-1', 'hub')
  await printer.ready()
  // The view starts finding every table (one sync exchange each); close at once.
  printer.watchDays()
  await printer.close()

  const offline = await openDevice({
    deviceId: 'printer-1',
    storeUrl,
    storage,
    network: [],
    logger: silentLogger,
  })
  cleanup.push(() => offline.close())
  await offline.ready()
  const day = await offline.loadDay(undefined, { localOnly: true })
  expect(day.missingTables).toEqual([])
  expect(day.orders.map((o) => o.url)).toEqual([url])
  expect(day.missing).toEqual([])
}, 60_000)

test('a find no peer can answer does not hold the close', async () => {
  const { net, storeUrl } = await storeWithCheck(12)
  const device = await openDevice({
    deviceId: 'till-2',
    storeUrl,
    storage: 'memory',
    network: [net.adapter('till-2')],
    logger: silentLogger,
  })
  net.link('till-2', 'hub')
  await device.ready()
  // A check nobody has: its find waits for a peer that has it (until findTimeoutMs, 30 s).
  const nowhere = generateAutomergeUrl()
  const summary = device.orderSummary(nowhere).catch((e: unknown) => e)
  await new Promise((resolve) => setTimeout(resolve, 200))
  // Resolves (the test's own timeout would fail it otherwise) and ends the waiting find.
  await device.close()
  expect(await summary).toMatchObject({ kind: 'closed' })
}, 60_000)
