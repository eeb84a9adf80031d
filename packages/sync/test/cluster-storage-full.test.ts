// PostgreSQL stopped under traffic with a small bound on the writes a relay node keeps in memory
// (`TABSYNC_MAX_KEPT_BYTES`): once the bound is reached the node refuses the store's changes with
// the typed close code (4503 storage-full, retried by devices) instead of acknowledging what it
// could not keep, says so once, the devices keep saving locally, and once PostgreSQL is back
// every saved line reaches both devices and a brand-new one.
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

/** Long enough that the bound, not the lease running out, is what stops the writes. */
const LEASE_MS = 20_000
/** A few dozen changes' worth. */
const MAX_KEPT_BYTES = 2048
const EPISODE_START = 'kept writes at their bound'
const EPISODE_END = 'kept writes stored: accepting writes again'

afterAll(runCleanups)

/** The value of one metric series in the node's `/metrics` text (0 when absent). */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

test('PostgreSQL stopped with a small kept-writes bound: the store is refused with storage-full (logged once), devices keep saving, every saved line converges after', async () => {
  const pg = await startTestPostgres()
  cleanups.push(() => pg.destroy())
  const [node] = await clusterNodes(1)
  await startNode(node!, pg.url, {
    leaseMs: LEASE_MS,
    env: { TABSYNC_MAX_KEPT_BYTES: String(MAX_KEPT_BYTES) },
  })
  const urls = [node!.syncUrl]
  const httpUrl = node!.syncUrl.replace('ws://', 'http://').replace('/sync', '')
  const metrics = async () => (await fetch(`${httpUrl}/metrics`)).text()

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

  await until(() => lines() > 10, 'devices writing')
  step('stopping PostgreSQL')
  await pg.stop()
  await until(
    async () => metric(await metrics(), 'tabsync_relay_storage_full') === 1,
    'kept writes at their bound',
  )
  await until(
    async () =>
      metric(await metrics(), 'tabsync_relay_storage_full_refusals_total{at="frame"}') > 0,
    'a change refused with storage-full',
  )
  await until(
    () => devices.every((d) => d.status().state !== 'online'),
    'devices offline (refused)',
  )
  const during = lines()
  await until(() => lines() > during + 10, 'devices saving locally while storage is full')
  const full = await metrics()
  // What the node holds went past the bound by at most the writes admitted before it was reached.
  expect(metric(full, 'tabsync_relay_storage_kept_bytes')).toBeGreaterThanOrEqual(MAX_KEPT_BYTES)

  step('starting PostgreSQL')
  await pg.start()
  await until(
    async () => metric(await metrics(), 'tabsync_relay_storage_full') === 0,
    'kept writes stored',
  )
  await until(() => devices.every((d) => d.status().state === 'online'), 'devices back online')
  const after = lines()
  await until(() => lines() > after + 10, 'devices writing after the restart')
  rushing = false
  await Promise.all(rush)
  await until(() => devices.every((d) => settled(d.status())), 'final sync')

  // One line at each end of an episode, however many devices and reconnects were refused. (A
  // write failing on a connection PostgreSQL's restart broke can open a second short episode:
  // one snapshot is larger than this tiny bound.)
  await until(async () => {
    const text = await metrics()
    return (
      metric(text, 'tabsync_relay_storage_full') === 0 &&
      metric(text, 'tabsync_relay_storage_kept_bytes') === 0
    )
  }, 'nothing kept any more')
  const refusals = await metrics()
  const refused =
    metric(refusals, 'tabsync_relay_storage_full_refusals_total{at="frame"}') +
    metric(refusals, 'tabsync_relay_storage_full_refusals_total{at="upgrade"}')
  const starts = node!.stderr.split(EPISODE_START).length - 1
  expect(starts).toBeGreaterThanOrEqual(1)
  expect(node!.stderr.split(EPISODE_END).length - 1).toBe(starts)
  expect(refused).toBeGreaterThan(starts)

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
}, 240_000)
