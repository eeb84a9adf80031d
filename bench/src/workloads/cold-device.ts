// Workload 3: a cold device (empty storage) joins a store with a day of orders on the relay:
// time until the open orders are usable and until the whole day is local.
import path from 'node:path'
import * as A from '@automerge/automerge'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { startChild } from '../child/processes.js'
import { cachedDay, installDay } from '../fixtures/day.js'
import { dirBytes } from '../fixtures/files.js'
import { Path, Unit, repeat } from '../figures.js'
import { now, type BenchContext, type Workload } from '../workload.js'

const W = 'cold-device'

export const coldDeviceWorkload: Workload = {
  name: W,
  summary: 'new device, a day of orders on the relay: open orders usable, whole day local',
  async run(ctx: BenchContext) {
    const size = ctx.quick ? { orders: 300, open: 60 } : { orders: 2000, open: 60 }
    const day = await cachedDay(size, ctx.log)
    const relayDir = await ctx.tempDir('cold-relay')
    await installDay(day, new NodeFSStorageAdapter(relayDir))
    const relayStored = await dirBytes(relayDir)
    const relay = await startChild('stock-relay', { env: { TABSYNC_BENCH_DIR: relayDir } })
    const driver = await startChild('cold-driver', { env: { TABSYNC_BENCH_PATH: 'stock' } })
    const v = await repeat(ctx.runs, async (run) => {
      ctx.log(`cold-device run ${run + 1}/${ctx.runs}`)
      const dir = await ctx.tempDir('cold-device')
      const r = await driver.request<Record<string, number>>(
        {
          type: 'cold',
          url: String(relay.ready['url']),
          storeUrl: day.storeUrl,
          openUrls: day.openUrls,
          dir: path.join(dir, 'storage'),
        },
        300_000,
      )
      const m: Record<string, number> = {}
      // Floor: loading every document of the day in-process (Automerge alone, no network).
      const t = now()
      for (const bytes of day.docs.values()) A.load(bytes)
      m['floor.loadAll'] = now() - t
      m['stock.usable'] = r['usable'] as number
      m['stock.whole'] = r['whole'] as number
      m['stock.perThousand'] = ((r['whole'] as number) / size.orders) * 1000
      m['stock.deviceBytesPerOrder'] = (r['storedBytes'] as number) / size.orders
      m['relayBytesPerOrder'] = relayStored.bytes / day.docs.size
      return m
    })
    await Promise.all([driver.stop(), relay.stop()])
    const n = `${size.open} open of ${size.orders.toLocaleString('en-US')}`
    const rec = (name: string, path: Path, unit: Unit, key: string, extra: { vs?: string; target?: { value: number }; note?: string } = {}) =>
      ctx.recorder.record(W, { name, path, unit, ...extra }, v[key] as number[])
    const floor = rec(`automerge load of every document (${size.orders.toLocaleString('en-US')} orders)`, Path.floor, Unit.ms, 'floor.loadAll', { note: 'A.load in-process, no network, no storage' })
    rec(`stock open orders usable (${n})`, Path.stock, Unit.ms, 'stock.usable', { note: 'finds issued newest first, all at once' })
    rec(`stock whole day local (${size.orders.toLocaleString('en-US')} orders)`, Path.stock, Unit.ms, 'stock.whole', { vs: floor, note: 'all ready + flushed to the device storage' })
    rec('stock whole day per 1,000 orders', Path.stock, Unit.ms, 'stock.perThousand')
    rec('stock device bytes stored per order', Path.stock, Unit.bytes, 'stock.deviceBytesPerOrder', { note: 'nodefs: snapshot + sync states' })
    rec('relay bytes stored per document (nodefs)', Path.stock, Unit.bytes, 'relayBytesPerOrder')
  },
}
