// The slow part of the cold-device workload's report at app cold start, alone: a device whose
// storage already holds the whole day (installDay) starts with a relay connected (in its own
// process, the day uploaded to it) and opens every order with `loadDay({ localOnly: true })`,
// as `reportAtColdStart` does. `npx tsx --conditions=@tabsync/source
// bench/src/tools/cold-open-relay.ts [orders] [relay|none]`. Prints the time and the relay's
// frames in and out; `TABSYNC_BENCH_PROFILE=<dir>` writes a CPU profile of the relay child and
// of this process (the inspector's Profiler, written before exit).
import { Session } from 'node:inspector/promises'
import { cp, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import type { DocumentId } from '@automerge/automerge-repo'
import { openDevice } from '@tabsync/sync'
import { issueToken } from '@tabsync/relay'
import { installDay } from '../fixtures/day.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { now } from '../workload.js'
import { log, toolContext, toolDay, uploadedRelay } from './tool-day.js'

const orders = Number(process.argv[2] ?? 2000)
// relay: the installed day, relay connected; none: no relay; bulk: the device's storage is
// written first by a cold start through the relay (`loadDay`, the bulk fetch), as in the bench.
const mode = process.argv[3] ?? 'relay'
const withRelay = mode !== 'none'
const profileDir = process.env['TABSYNC_BENCH_PROFILE']
const { ctx, scratch } = toolContext('cold-open')
const { day, date } = await toolDay(orders)
const key = day.storeUrl.slice(10, 22)

// The relay's data (the day uploaded through a device) and the device's storage (the day
// installed), each kept between calls.
const { data: relayData, secret } = await uploadedRelay(ctx, day)
const deviceTemplate = path.join(os.tmpdir(), `tabsync-cold-open-device-${key}`)
try {
  await stat(path.join(deviceTemplate, 'done'))
} catch {
  log(`installing the day in ${deviceTemplate}`)
  await rm(deviceTemplate, { recursive: true, force: true })
  await installDay(day, new NodeFSStorageAdapter(path.join(deviceTemplate, 'data')))
  await writeFile(path.join(deviceTemplate, 'done'), '')
}

const relayDir = await ctx.tempDir('relay')
await cp(relayData, relayDir, { recursive: true })
const deviceDir = await ctx.tempDir('device')
if (mode !== 'bulk') await cp(path.join(deviceTemplate, 'data'), deviceDir, { recursive: true })
// TABSYNC_BENCH_DEFAULT_LIMITS=1: the relay's default limits (200 messages/s, a burst of 2,000),
// as the cold-device workload's relay runs them, instead of limits no device reaches.
const defaultLimits = process.env['TABSYNC_BENCH_DEFAULT_LIMITS'] === '1'
const relay = withRelay
  ? await startTabsyncRelay(ctx, {
      dir: relayDir,
      secret,
      ...(defaultLimits ? {} : { limits: { messagesPerSecond: 100_000, messageBurst: 100_000 } }),
    })
  : undefined
type Counters = { framesIn: number; framesOut: number; storageWrites: number }
const counters = async (): Promise<Counters | undefined> =>
  relay
    ? ((await relay.relay.request({ type: 'counters' }, 600_000)) as unknown as Counters)
    : undefined

const deviceId = 'cold-open'
const token = await issueToken({ secret, deviceId, storeIds: [day.storeId], role: 'terminal' })
const options = {
  deviceId,
  token,
  endpoints: relay ? [relay.url] : [],
  storeUrl: day.storeUrl,
  storage: { directory: deviceDir },
}
if (mode === 'bulk') {
  const c0 = now()
  const cold = await openDevice(options)
  await cold.ready()
  const got = await cold.loadDay(date)
  await cold.flush()
  await cold.close()
  log(`cold start through the relay: ${got.orders.length} orders in ${(now() - c0).toFixed(0)} ms`)
  // How long the relay stays busy with the cold start after the device closed (its answers late).
  for (let late = Infinity; late > 200;) {
    const s0 = now()
    const st = (await relay!.relay.request({ type: 'stats' }, 600_000)) as unknown as Record<
      string,
      number
    >
    late = now() - s0
    const c = await counters()
    log(
      `  relay after close ${(now() - c0).toFixed(0)} ms: answered in ${late.toFixed(0)} ms, ` +
        `handles ${st['handles']}, heap ${Number(st['heapMb']).toFixed(0)} MB, frames in ${c?.framesIn} out ${c?.framesOut}`,
    )
  }
  // TABSYNC_BENCH_KEEP=<dir>: a copy of the storage the cold start wrote, to look at.
  const keep = process.env['TABSYNC_BENCH_KEEP']
  if (keep) await cp(deviceDir, keep, { recursive: true })
}

const session = new Session()
if (profileDir) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
const t0 = now()
const device = await openDevice(options)
await device.ready()
const readyMs = now() - t0
// Counts while the day opens: handle updates, sync messages in and out of the device.
const counts = { updates: 0, received: 0, sent: 0, joined: 0, left: 0 }
const storeHandle = device.repo.handles[day.storeUrl.slice('automerge:'.length) as DocumentId]
const handleProto = Object.getPrototypeOf(storeHandle) as { update: (...a: unknown[]) => unknown }
const stockUpdate = handleProto.update
handleProto.update = function (this: unknown, ...a: unknown[]) {
  counts.updates++
  return stockUpdate.apply(this, a)
}
device.repo.networkSubsystem.on('message', () => counts.received++)
// A relay lost and found again (the socket's silence deadline) begins every open document's sync again.
device.repo.networkSubsystem.on('peer', () => counts.joined++)
device.repo.networkSubsystem.on('peer-disconnected', () => counts.left++)
const stockSend = device.repo.networkSubsystem.send.bind(device.repo.networkSubsystem)
device.repo.networkSubsystem.send = (m) => {
  counts.sent++
  stockSend(m)
}
const mb = (n: number) => (n / 2 ** 20).toFixed(0)
const monitor = setInterval(() => {
  const m = process.memoryUsage()
  log(
    `  ${(now() - t0).toFixed(0)} ms: handles ${Object.keys(device.repo.handles).length}, ` +
      `updates ${counts.updates}, received ${counts.received}, sent ${counts.sent}, ` +
      `relay joined ${counts.joined} left ${counts.left}, heap ${mb(m.heapUsed)} MB, arrayBuffers ${mb(m.arrayBuffers)} MB, rss ${mb(m.rss)} MB`,
  )
}, 5000)
const before = await counters()
const l0 = now()
const loaded = await device.loadDay(date, { localOnly: true })
const loadMs = now() - l0
clearInterval(monitor)
log(`  ${JSON.stringify(counts)}`)
const after = await counters()
await device.close()
if (profileDir) {
  const { profile } = await session.post('Profiler.stop')
  await mkdir(profileDir, { recursive: true })
  await writeFile(
    path.join(profileDir, `device-${process.pid}.cpuprofile`),
    JSON.stringify(profile),
  )
  session.disconnect()
}
await relay?.relay.stop()
const frames =
  before && after
    ? `, relay frames in ${after.framesIn - before.framesIn}, out ${after.framesOut - before.framesOut}`
    : ''
process.stdout.write(
  `${orders} orders, ${mode}: ready ${readyMs.toFixed(0)} ms, ` +
    `loadDay localOnly ${loadMs.toFixed(0)} ms (${loaded.orders.length} orders)${frames}, ` +
    `load ${os.loadavg()[0]!.toFixed(2)}\n`,
)
await rm(scratch, { recursive: true, force: true })
