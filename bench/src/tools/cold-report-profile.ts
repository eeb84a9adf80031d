// Where the X/Z report and the floor at app cold start spend their time, on a stored day of
// 2,000 orders (issue 15), without a relay: `npx tsx bench/src/tools/cold-report-profile.ts
// [runs] [orders]`. The first call stores the day on a device (every order opened once, so the
// summary cache is written) in the os temp dir and keeps it; each run copies it and starts a
// device on the copy: openDevice + ready + salesReport (the report), then dayDigests localOnly
// (the floor: its `onFirst`, then the whole day), as the cold-device workload times them.
// `node --cpu-prof` works on it
// (`node --import tsx --cpu-prof --cpu-prof-dir <dir> bench/src/tools/cold-report-profile.ts`).
import { createHash } from 'node:crypto'
import { cp, mkdir, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import type { DocumentId, StorageAdapterInterface } from '@automerge/automerge-repo'
import { isDigestOnFloor } from '@tabsync/core'
import { openDevice } from '@tabsync/sync'
import { cachedDay, installDay } from '../fixtures/day.js'
import { now } from '../workload.js'

const runs = Number(process.argv[2] ?? 3)
const orders = Number(process.argv[3] ?? 2000)
const log = (m: string) => process.stderr.write(`${m}\n`)

const day = await cachedDay({ orders, open: 60 }, log)
const first = A.load<{ businessDate: unknown }>(
  day.docs.get(day.openUrls[0]!.slice('automerge:'.length) as DocumentId)!,
)
const date = String(first.businessDate)
const deviceId = 'cold-report'
const options = (dir: string, storage?: StorageAdapterInterface) => ({
  deviceId,
  storeUrl: day.storeUrl,
  storage: storage ?? { directory: dir },
  endpoints: [],
})

/** Storage calls by kind of key during a run: count, and first start / last end (ms from t0). */
function timedStorage(dir: string, t0: () => number) {
  const inner = new NodeFSStorageAdapter(dir)
  const calls = new Map<string, { n: number; first: number; last: number; ms: number }>()
  const kindOf = (op: string, key: readonly string[]) =>
    `${op} ${key[0] === 'tabsync-summary' ? 'summary' : key[0]?.startsWith('tabsync') ? key[0] : key.length === 1 ? 'doc' : String(key[1])}`
  const timed = <T>(op: string, key: readonly string[], p: () => Promise<T>): Promise<T> => {
    const s = now()
    return p().finally(() => {
      const k = kindOf(op, key)
      const c = calls.get(k) ?? { n: 0, first: s - t0(), last: 0, ms: 0 }
      c.n++
      c.last = now() - t0()
      c.ms += now() - s
      calls.set(k, c)
    })
  }
  const adapter: StorageAdapterInterface = {
    load: (key) => timed('load', key, () => inner.load(key)),
    save: (key, data) => timed('save', key, () => inner.save(key, data)),
    remove: (key) => timed('remove', key, () => inner.remove(key)),
    loadRange: (key) => timed('loadRange', key, () => inner.loadRange(key)),
    removeRange: (key) => timed('removeRange', key, () => inner.removeRange(key)),
  }
  return { adapter, calls }
}

// The stored day, summary cache written, kept between calls (named by the built cache's code:
// another cache format needs another stored day).
const cacheCode = await readFile(
  new URL('./device/summary-cache.js', import.meta.resolve('@tabsync/sync')),
)
const built = createHash('sha256').update(cacheCode).digest('hex').slice(0, 12)
const template = path.join(os.tmpdir(), `tabsync-cold-report-${orders}-${built}`)
try {
  await stat(path.join(template, 'done'))
} catch {
  log(`storing the day in ${template}`)
  await rm(template, { recursive: true, force: true })
  await installDay(day, new NodeFSStorageAdapter(template))
  const device = await openDevice(options(template))
  await device.ready()
  const t = now()
  const loaded = await device.loadDay(date, { localOnly: true })
  await device.flush()
  log(`${loaded.orders.length} orders opened and cached in ${Math.round(now() - t)} ms`)
  await device.close()
  await mkdir(path.join(template, 'done'))
}

for (let run = 0; run < runs; run++) {
  const dir = path.join(os.tmpdir(), `tabsync-cold-report-run-${process.pid}`)
  await rm(dir, { recursive: true, force: true })
  await cp(template, dir, { recursive: true })
  const r0 = now()
  // Timed storage calls (TABSYNC_PROFILE_CALLS=1) go through a wrapper, which hides the
  // adapter's shape from the cache's key listing (it then reads values: loadRange).
  const calls = process.env['TABSYNC_PROFILE_CALLS'] ? timedStorage(dir, () => r0) : undefined
  const device = await openDevice(options(dir, calls?.adapter))
  await device.ready()
  const readyMs = now() - r0
  const report = await device.salesReport(date)
  const reportMs = now() - r0
  const f0 = now()
  let floorMs = 0
  let onFloor = 0
  const floor = await device.dayDigests(date, {
    localOnly: true,
    onFirst: (first) => {
      floorMs = now() - f0
      onFloor = first.orders.filter((o) => isDigestOnFloor(o.digest)).length
    },
  })
  const wholeMs = now() - f0
  await device.close({ flush: false })
  if (calls) {
    for (const [k, c] of calls.calls) {
      process.stdout.write(
        `  ${k}: ${c.n} calls, ${c.first.toFixed(0)}..${c.last.toFixed(0)} ms, ${c.ms.toFixed(0)} ms summed\n`,
      )
    }
  }
  await rm(dir, { recursive: true, force: true })
  process.stdout.write(
    `run ${run + 1}: ready ${readyMs.toFixed(0)} ms, report ${reportMs.toFixed(0)} ms ` +
      `(${report.day.fromCache} cached, ${report.day.opened} opened, ${report.report.orderCount} orders), ` +
      `floor ${floorMs.toFixed(0)} ms (${onFloor} on the floor), whole day ${wholeMs.toFixed(0)} ms ` +
      `(${floor.orders.filter((o) => isDigestOnFloor(o.digest)).length} on the floor, ${floor.opened} opened)\n`,
  )
}
