// Child process: simulated devices of some stores, each device its own Repo and WebSocket.
// All devices of one store live in the same process, so fan-out latency (sender's change to
// each other device of the store seeing it) is measured with one clock.
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { addLine, type CommandContext, type OrderDoc } from '@tabsync/core'
import { commandContext, demoStore, lineInput, newOrder } from '../fixtures/orders.js'
import { SimRun, type SimTapper } from '../fixtures/sim-run.js'
import { findReady, stockClient, whenConnected } from '../peers/stock-repo.js'
import { sleep } from '../workload.js'
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
const sim = new SimRun()

function listen(h: DocHandle<OrderDoc>): void {
  h.on('change', ({ patches }) => {
    for (const p of patches) {
      if (p.action !== 'put' || p.path.length !== 2 || p.path[0] !== 'lines') continue
      sim.delivered(String(p.path[1]))
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

/** A device's tap: a line added (core's command) to one of its orders, chosen at random. */
function tapper(dev: SimDevice): SimTapper {
  return {
    tap(i) {
      const h = dev.handles[Math.floor(Math.random() * dev.handles.length)] as DocHandle<OrderDoc>
      let id = ''
      h.change((d) => {
        id = addLine(d, dev.ctx, lineInput(i))
      })
      return id
    },
  }
}

async function run(m: Parameters<SimRun['run']>[1]): Promise<Record<string, unknown>> {
  return {
    ...(await sim.run(
      stores.map((s) => s.devices.map(tapper)),
      m,
    )),
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
