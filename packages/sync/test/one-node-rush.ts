// The traffic the storage-outage tests run: one relay node (a real process) on a given
// PostgreSQL, or a single relay on its own files, a back office and a till of one store writing
// lines into one order every 60 ms, and the end check that every acknowledged line reached both
// devices and a brand-new one.
import type { AutomergeUrl } from '@automerge/automerge-repo/slim'
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { expect } from 'vitest'
import type { Device } from '../src/index.js'
import {
  clusterDevice,
  clusterNodes,
  describeDevices,
  diagnostics,
  settled,
  startNode,
  until,
  within,
  type ClusterNodeProcess,
} from './cluster-nodes.js'

export interface OneNodeRush {
  readonly node: ClusterNodeProcess
  /** The node's HTTP base (`/metrics`, `/readyz`). */
  readonly httpUrl: string
  readonly devices: Device[]
  /** Lines acknowledged as saved so far, over every device. */
  lines(): number
  /** Stops the writing and waits until every device is online with nothing unsynced. */
  stop(): Promise<void>
  /** Every acknowledged line is on every device, and on a new device of the store. */
  expectEveryLineEverywhere(): Promise<void>
  /** The node's `/metrics` text now. */
  metrics(): Promise<string>
  /**
   * Waits until the node's kept writes are at their bound, a change was refused with
   * storage-full, every device is off the node and they keep saving lines locally.
   */
  untilRefusedWhileFull(): Promise<void>
}

/**
 * Starts the node (on `postgres`, or on files when undefined) and both devices, and has them
 * write until {@link OneNodeRush.stop}.
 */
export async function startOneNodeRush(
  postgres: string | undefined,
  nodeOptions: Parameters<typeof startNode>[2],
): Promise<OneNodeRush> {
  const [node] = await clusterNodes(1)
  await startNode(node!, postgres, nodeOptions)
  const urls = [node!.syncUrl]
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

  const hasEveryLine = async (d: Device, saved: readonly string[], what: string) => {
    await until(async () => (await d.orderSummary(order)).lines.length === saved.length, what)
    expect((await d.orderSummary(order)).lines.map((l) => l.line.id).sort()).toEqual(saved)
  }

  const httpUrl = node!.syncUrl.replace('ws://', 'http://').replace('/sync', '')
  const metrics = async () => (await fetch(`${httpUrl}/metrics`)).text()
  const lines = () => [...acked.values()].reduce((n, a) => n + a.length, 0)
  return {
    node: node!,
    httpUrl,
    devices,
    lines,
    metrics,
    async untilRefusedWhileFull() {
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
    },
    async stop() {
      rushing = false
      await Promise.all(rush)
      await until(() => devices.every((d) => settled(d.status())), 'final sync')
    },
    async expectEveryLineEverywhere() {
      const saved = [...acked.values()].flat().sort()
      for (const d of [...devices]) await hasEveryLine(d, saved, `${d.deviceId} has every line`)
      const fresh = await clusterDevice('till-new', 'store-a', urls, 0, storeUrl)
      devices.push(fresh)
      await within(fresh.ready(), 'new device ready')
      await hasEveryLine(fresh, saved, 'the new device has every line')
    },
  }
}

/** The value of one metric series in the node's `/metrics` text (0 when absent). */
export function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}
