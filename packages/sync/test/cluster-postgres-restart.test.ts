// PostgreSQL restarted under traffic, one relay node (a real process) and two devices of one
// store writing into one order: the node reports not ready and gives the store up, the devices
// keep saving locally, and once PostgreSQL is back every saved line reaches both devices and a
// brand-new one.
import type { AutomergeUrl } from '@automerge/automerge-repo/slim'
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterAll, expect, test } from 'vitest'
import { startTestPostgres } from '../../relay/test/helpers/postgres.js'
import type { Device } from '../src/index.js'
import {
  clusterDevice,
  clusterNodes,
  cleanups,
  describeDevices,
  diagnostics,
  runCleanups,
  settled,
  startNode,
  step,
  until,
  within,
} from './cluster-nodes.js'

const LEASE_MS = 2000

afterAll(runCleanups)

test('PostgreSQL stopped and started under traffic: the node is not ready meanwhile, devices keep saving, every saved line converges after', async () => {
  const pg = await startTestPostgres()
  cleanups.push(() => pg.destroy())
  const [node] = await clusterNodes(1)
  await startNode(node!, pg.url, { leaseMs: LEASE_MS })
  const urls = [node!.syncUrl]
  const httpUrl = node!.syncUrl.replace('ws://', 'http://').replace('/sync', '')

  const devices: Device[] = []
  const acked = new Map<Device, string[]>()
  diagnostics.detail = () =>
    `${describeDevices(devices, (d) => acked.get(d)?.length ?? 0)}\nnode stderr: ${node!.stderr.slice(-3000)}`

  const office = await clusterDevice('office-1', 'store-a', urls, 0)
  devices.push(office)
  const { storeUrl } = await within(
    office.createStore({ ...demoStoreInit('store-a', () => ''), tables: DEMO_TABLES.slice(0, 2) }),
    'store created',
  )
  const { url: order } = await within(office.openOrder('t1', { guests: 2 }), 'order opened')
  const till = await clusterDevice('till-1', 'store-a', urls, 0, storeUrl)
  devices.push(till)
  await within(till.ready(), 'till ready')
  await until(() => devices.every((d) => settled(d.status())), 'both devices online')

  let rushing = true
  const rush = devices.map(async (d) => {
    const mine: string[] = []
    acked.set(d, mine)
    while (rushing) {
      mine.push(
        await d.run(order as AutomergeUrl, (doc, ctx) => addLine(doc, ctx, { itemId: 'pasta' })),
      )
      await new Promise((r) => setTimeout(r, 60))
    }
  })
  const lines = () => [...acked.values()].reduce((n, a) => n + a.length, 0)
  const readyz = async () => (await fetch(`${httpUrl}/readyz`)).status

  await until(() => lines() > 10, 'devices writing')
  step('stopping PostgreSQL')
  await pg.stop()
  await until(async () => (await readyz()) === 503, 'node not ready')
  // The lease runs out locally: the node closes the store's sockets and refuses new ones.
  await until(
    () => devices.every((d) => d.status().state !== 'online'),
    'devices offline (store given up)',
  )
  const during = lines()
  await until(() => lines() > during + 10, 'devices saving locally while PostgreSQL is down')
  step('starting PostgreSQL')
  await pg.start()
  await until(async () => (await readyz()) === 200, 'node ready again')
  await until(() => devices.every((d) => d.status().state === 'online'), 'devices back online')
  const after = lines()
  await until(() => lines() > after + 10, 'devices writing after the restart')
  rushing = false
  await Promise.all(rush)
  await until(() => devices.every((d) => settled(d.status())), 'final sync')

  const saved = [...acked.values()].flat().sort()
  for (const d of devices) {
    await until(
      async () => (await d.orderSummary(order)).lines.length === saved.length,
      `${d.deviceId} has every line`,
    )
    expect((await d.orderSummary(order)).lines.map((l) => l.line.id).sort()).toEqual(saved)
  }
  const fresh = await clusterDevice('till-new', 'store-a', urls, 0, storeUrl)
  devices.push(fresh)
  await within(fresh.ready(), 'new device ready')
  await until(
    async () => (await fresh.orderSummary(order)).lines.length === saved.length,
    'the new device has every line',
  )
  expect((await fresh.orderSummary(order)).lines.map((l) => l.line.id).sort()).toEqual(saved)
}, 120_000)
