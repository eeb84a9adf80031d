// Child process: simulated devices of some stores, each device its own Repo and WebSocket.
// All devices of one store live in the same process, so fan-out latency (sender's change to
// each other device of the store seeing it) is measured with one clock.
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { addLine, type CommandContext, type OrderDoc } from '@tabsync/core'
import { commandContext, demoStore, lineInput, newOrder } from '../fixtures/orders.js'
import { until } from '../fixtures/schedule.js'
import { findReady, stockClient, whenConnected } from '../peers/stock-repo.js'
import { now, sleep } from '../workload.js'
import { serve } from './serve.js'

const relayUrl = process.env['TABSYNC_BENCH_URL'] as string
const kind = process.env['TABSYNC_BENCH_PATH'] ?? 'stock'
const secret = process.env['TABSYNC_BENCH_SECRET'] ?? ''
/** The other nodes of a relay cluster (comma-separated), for Tabsync devices to fail over to. */
const alternateUrls = (process.env['TABSYNC_BENCH_ALTERNATE_URLS'] ?? '').split(',').filter(Boolean)

/** One simulated device: a plain Repo (stock) or a @tabsync/sync device (its repo is used). */
async function makeDevice(
  tag: string,
  s: number,
  d: number,
): Promise<{ repo: Repo; close: () => Promise<void> }> {
  if (kind === 'tabsync') {
    const { tabsyncDevice } = await import('../paths/tabsync-pair.js')
    const device = await tabsyncDevice(relayUrl, secret, `sim-${tag}-s${s}-d${d}`, [`store-${s}`], {
      reopen: false,
      ...(alternateUrls.length > 0
        ? { endpoints: [{ url: relayUrl, kind: 'relay' as const, alternateUrls }] }
        : {}),
    })
    return { repo: device.repo, close: () => device.close() }
  }
  const repo = stockClient(relayUrl, `sim-${tag}-s${s}-d${d}`)
  return { repo, close: () => repo.shutdown().catch(() => {}) }
}

interface SimDevice {
  readonly repo: Repo
  readonly close: () => Promise<void>
  readonly ctx: CommandContext
  readonly handles: DocHandle<OrderDoc>[]
}
interface SimStore {
  readonly devices: SimDevice[]
}

const stores: SimStore[] = []
const sent = new Map<string, number>()
let samples: number[] = []
let expectedDeliveries = 0
let measuring = false

function listen(h: DocHandle<OrderDoc>): void {
  h.on('change', ({ patches }) => {
    if (!measuring) return
    const t = now()
    for (const p of patches) {
      if (p.action !== 'put' || p.path.length !== 2 || p.path[0] !== 'lines') continue
      const t0 = sent.get(String(p.path[1]))
      if (t0 !== undefined) samples.push(Math.round((t - t0) * 100) / 100)
    }
  })
}

async function setup(m: {
  stores: number[]
  devices: number
  orders: number
  tag: string
}): Promise<Record<string, unknown>> {
  for (const s of m.stores) {
    const devices: SimDevice[] = []
    for (let d = 0; d < m.devices; d++) {
      const { repo, close } = await makeDevice(m.tag, s, d)
      devices.push({
        repo,
        close,
        ctx: commandContext(`s${s}-d${d}`, demoStore(`store-${s}`)),
        handles: [],
      })
    }
    await Promise.all(devices.map((d) => whenConnected(d.repo, 60_000)))
    const first = devices[0] as SimDevice
    const urls: AutomergeUrl[] = []
    for (let o = 0; o < m.orders; o++) {
      const h = first.repo.create<OrderDoc>(newOrder(first.ctx, `t${(o % 8) + 1}`))
      first.handles.push(h)
      urls.push(h.url)
    }
    await sleep(kind === 'tabsync' ? 400 : 150)
    for (const d of devices.slice(1))
      d.handles.push(
        ...(await Promise.all(urls.map((u) => findReady<OrderDoc>(d.repo, u, 60_000)))),
      )
    for (const d of devices) for (const h of d.handles) listen(h)
    stores.push({ devices })
  }
  return { stores: stores.length }
}

async function run(m: {
  durationMs: number
  meanIntervalMs: number
  warmupMs?: number
}): Promise<Record<string, unknown>> {
  samples = []
  sent.clear()
  expectedDeliveries = 0
  measuring = true
  // Changes in the warm-up (first syncs, throttles of freshly loaded documents) are not measured.
  const measureFrom = now() + (m.warmupMs ?? 0)
  const end = measureFrom + m.durationMs
  let changes = 0
  let i = 0
  const timers: Promise<void>[] = []
  for (const store of stores) {
    for (const dev of store.devices) {
      timers.push(
        (async () => {
          // Desynchronised start, then exponential-ish gaps around the mean.
          await sleep(Math.random() * m.meanIntervalMs)
          while (now() < end) {
            const h = dev.handles[
              Math.floor(Math.random() * dev.handles.length)
            ] as DocHandle<OrderDoc>
            const t0 = now()
            let id = ''
            h.change((d) => {
              id = addLine(d, dev.ctx, lineInput(i++))
            })
            if (t0 >= measureFrom) {
              sent.set(id, t0)
              changes++
              expectedDeliveries += store.devices.length - 1
            }
            await sleep(m.meanIntervalMs * (0.5 + Math.random()))
          }
        })(),
      )
    }
  }
  await Promise.all(timers)
  await until(() => samples.length >= expectedDeliveries, 5000, 10)
  measuring = false
  return {
    samples,
    changes,
    expected: expectedDeliveries,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  }
}

serve(
  {
    setup: (m) => setup(m as never),
    run: (m) => run(m as never),
  },
  {},
  async () => {
    await Promise.all(stores.flatMap((s) => s.devices.map((d) => d.close())))
  },
)
