// openDevice({ ephemeral, online }) and device.setOnline against a real relay process (issue 11):
// what the terminal used to do by hand (polling peerId, reconnecting adapters) is the device's.
import type { AddressInfo } from 'node:net'
import { cbor } from '@automerge/automerge-repo/slim'
import { WebSocketServer } from 'ws'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type Device } from '../src/index.js'
import { spawnRelay, tempDir } from './relay-process.js'
import { statusUntil, storeDevices } from './store-devices.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function relayWithStore() {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(data.path)
  cleanups.push(() => relay.stop())
  const openIn = storeDevices(relay.syncUrl, cleanups)
  const open = (
    deviceId: string,
    options: { storeUrl?: string; ephemeral?: boolean; online?: boolean } = {},
  ) =>
    // Short backoff: had the link reconnected on its own while offline, it would within 400 ms.
    openIn(deviceId, { backoff: { initialMs: 50, maxMs: 400 }, ...options })
  const office = await open('office-1')
  await statusUntil(office, (s) => s.state === 'online')
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  await statusUntil(office, (s) => s.unsynced === 0)
  return { relay, data, office, storeUrl, open }
}

test('setOnline(false) closes the relay link at once and keeps it closed; setOnline(true) sends the offline work', async () => {
  const { office, storeUrl, open } = await relayWithStore()
  const till = await open('till-1', { storeUrl })
  await till.ready()
  await statusUntil(till, (s) => s.state === 'online')

  till.setOnline(false)
  expect(till.online).toBe(false)
  await statusUntil(till, (s) => s.state === 'offline' && s.peers.length === 0)
  const { url } = await till.openOrder('t8')
  expect(till.status().unsynced).toBe(2) // the order and its table
  // Several backoff periods later it is still offline: nothing reconnected behind its back.
  await new Promise((r) => setTimeout(r, 1500))
  expect(till.status().state).toBe('offline')
  expect(till.status().endpoints.map((e) => e.state)).toEqual(['closed'])

  till.setOnline(true)
  await statusUntil(till, (s) => s.state === 'online' && s.unsynced === 0)
  expect((await office.orderSummary(url)).order.tableId).toBe('t8')
}, 60_000)

test('a device opened with online: false stays offline until setOnline(true)', async () => {
  const { storeUrl, open } = await relayWithStore()
  const till = await open('till-2', { storeUrl, online: false })
  await new Promise((r) => setTimeout(r, 1000))
  expect(till.status().state).toBe('offline')
  expect(till.status().peers).toEqual([])
  till.setOnline(true)
  await statusUntil(till, (s) => s.state === 'online')
  await till.ready()
  expect(till.store().storeId).toBe('store-1')
}, 60_000)

test('an ephemeral device announces itself as ephemeral in its very first join; a normal one does not', async () => {
  // A bare WebSocket server stands in for the relay and keeps each connection's first frame:
  // the relay stores no sync state per device at all any more (relay README, "Cost per change"),
  // so what is left to prove is what the device says on the wire, before any reconnect.
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  cleanups.push(() => new Promise((r) => server.close(r)))
  await new Promise((r) => server.once('listening', r))
  const joins = new Map<string, Record<string, unknown>>()
  server.on('connection', (socket) => {
    socket.once('message', (data: Buffer) => {
      const frame = cbor.decode(new Uint8Array(data)) as Record<string, unknown>
      joins.set(String(frame.senderId), frame)
    })
  })
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/sync`
  const opened: Device[] = []
  for (const [deviceId, ephemeral] of [
    ['till-3', false],
    ['till-4', true],
  ] as const) {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const d = await openDevice({
      deviceId,
      endpoints: [{ url, kind: 'relay' }],
      storage: { directory: dir.path },
      ...(ephemeral ? { ephemeral } : {}),
    })
    cleanups.push(() => d.close({ flush: false }))
    opened.push(d)
  }
  const [kept, eph] = opened as [Device, Device]
  await expect.poll(() => joins.size, { timeout: 20_000 }).toBe(2)
  const joinOf = (d: Device) => joins.get(d.repo.peerId)
  expect(joinOf(eph)?.type).toBe('join')
  expect((joinOf(eph)?.peerMetadata as { isEphemeral?: boolean }).isEphemeral).toBe(true)
  expect(joinOf(kept)?.type).toBe('join')
  expect((joinOf(kept)?.peerMetadata as { isEphemeral?: boolean }).isEphemeral).not.toBe(true)
}, 60_000)
