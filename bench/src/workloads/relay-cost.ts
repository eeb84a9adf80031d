// Workload: the relay's own CPU per fanned-out change, measured from outside. The relay runs in
// its own process and its CPU is read from /proc (every thread: JavaScript, WebAssembly, Node's
// thread pool, GC, kernel); the devices run in two other processes and send about 25 changes/s in
// total, each delivered to every other device of its store (deliveries are counted, not assumed).
// Same points, same run, for the Tabsync relay, a stock automerge-repo relay and a Yjs relay
// (Hocuspocus, with its Yjs devices doing the same order-shaped changes).
import { randomBytes } from 'node:crypto'
import { startChild, type Child } from '../child/processes.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { processCpuMs } from '../fixtures/proc-cpu.js'
import { Path, Unit } from '../figures.js'
import { now, sleep, type BenchContext, type Workload } from '../workload.js'

const W = 'relay-cost'
const ORDERS_PER_STORE = 10
/** Changes per second across all devices: a rush the relay on 2 shared cores stays well under. */
const CHANGES_PER_SEC = 25
/** The pace the devices-per-core figure is derived at: one change per device every 3 s. */
const DEVICE_INTERVAL_SEC = 3
/** The idle window (clock ticks are 10 ms, so this resolves 0.5% of a core). */
const IDLE_MS = 2000

interface Point {
  readonly stores: number
  readonly devices: number
}

const POINTS: readonly Point[] = [
  { stores: 1, devices: 2 },
  { stores: 1, devices: 10 },
  { stores: 10, devices: 5 },
]
const KINDS = ['stock', 'yjs', 'tabsync'] as const

/** `TABSYNC_BENCH_RELAY_COST=tabsync,stock@1x2,10x5`: some relays and points only (profiling). */
function selection(): { kinds: readonly Kind[]; points: readonly Point[] } {
  const [kinds, points] = (process.env['TABSYNC_BENCH_RELAY_COST'] ?? '').split('@')
  const pick = <T>(all: readonly T[], list: string | undefined, name: (x: T) => string) =>
    list ? all.filter((x) => list.split(',').includes(name(x))) : all
  return {
    kinds: pick(KINDS, kinds, (k) => k),
    points: pick(POINTS, points, (p) => `${p.stores}x${p.devices}`),
  }
}

/** One measured window. */
interface Window {
  readonly cpuMs: number
  readonly wallMs: number
  readonly changes: number
  readonly deliveries: number
  readonly lost: number
}

type Kind = (typeof KINDS)[number]

async function startRelayOf(
  ctx: BenchContext,
  kind: Kind,
): Promise<{ relay: Child; env: Record<string, string> }> {
  if (kind === 'tabsync') {
    const t = await startTabsyncRelay(ctx)
    return {
      relay: t.relay,
      env: { TABSYNC_BENCH_URL: t.url, TABSYNC_BENCH_SECRET: t.secret, TABSYNC_BENCH_PATH: kind },
    }
  }
  if (kind === 'yjs') {
    const token = randomBytes(16).toString('hex')
    const relay = await startChild('hocuspocus-relay', {
      env: { TABSYNC_BENCH_DIR: await ctx.tempDir('relay-cost-yjs'), TABSYNC_BENCH_SECRET: token },
    })
    return {
      relay,
      env: { TABSYNC_BENCH_URL: String(relay.ready['url']), TABSYNC_BENCH_SECRET: token },
    }
  }
  // automerge-repo + its WebSocketServerAdapter + NodeFS storage, as the stock peer everywhere.
  const relay = await startChild('stock-relay', {
    env: { TABSYNC_BENCH_DIR: await ctx.tempDir('relay-cost-stock') },
  })
  return { relay, env: { TABSYNC_BENCH_URL: String(relay.ready['url']), TABSYNC_BENCH_PATH: kind } }
}

/** Sets up one point (relay + 2 device processes) and measures `runs` windows on it. */
async function measurePoint(
  ctx: BenchContext,
  kind: Kind,
  point: Point,
  opts: { durationMs: number; warmupMs: number },
): Promise<{ windows: Window[]; idlePercent: number }> {
  const { relay, env } = await startRelayOf(ctx, kind)
  const sims: Child[] = []
  try {
    const sim = kind === 'yjs' ? 'yjs-sim' : 'capacity-sim'
    sims.push(await startChild(sim, { env }), await startChild(sim, { env }))
    await Promise.all(
      sims.map((sim, k) =>
        sim.request(
          {
            type: 'setup',
            stores: Array.from({ length: point.stores }, (_, i) => i).filter(
              (s) => s % sims.length === k,
            ),
            devices: point.devices,
            orders: ORDERS_PER_STORE,
            tag: `${kind}-${k}`,
          },
          240_000,
        ),
      ),
    )
    // Each device's mean gap so that all of them together send CHANGES_PER_SEC.
    const meanIntervalMs = ((point.stores * point.devices) / CHANGES_PER_SEC) * 1000
    // What the relay spends with every device connected and nobody changing anything
    // (keep-alives, timers): part of every window below, not caused by the changes.
    await sleep(1000)
    const idle0 = processCpuMs(relay.pid)
    const idleT0 = now()
    await sleep(IDLE_MS)
    const idlePercent = (100 * (processCpuMs(relay.pid) - idle0)) / (now() - idleT0)
    const windows: Window[] = []
    for (let run = 0; run < ctx.runs; run++) {
      const replies = Promise.all(
        sims.map((sim) =>
          sim.request<{
            samples: number[]
            changes: number
            expected: number
            failedTaps: number
            firstError?: string
          }>(
            { type: 'run', durationMs: opts.durationMs, meanIntervalMs, warmupMs: opts.warmupMs },
            opts.durationMs + opts.warmupMs + 120_000,
          ),
        ),
      )
      // The devices count changes from the end of their warm-up; the relay's CPU is read from
      // the same moment to the last delivery (or the simulators' 5 s wait for a lost one).
      await sleep(opts.warmupMs)
      const cpu0 = processCpuMs(relay.pid)
      const t0 = now()
      const results = await replies
      const cpuMs = processCpuMs(relay.pid) - cpu0
      const wallMs = now() - t0
      const failed = results.reduce((n, r) => n + r.failedTaps, 0)
      if (failed > 0)
        ctx.log(
          `${W} ${kind}: ${failed} taps refused by the device (${results.find((r) => r.firstError)?.firstError})`,
        )
      const deliveries = results.reduce((n, r) => n + r.samples.length, 0)
      const expected = results.reduce((n, r) => n + r.expected, 0)
      windows.push({
        cpuMs,
        wallMs,
        changes: results.reduce((n, r) => n + r.changes, 0),
        deliveries,
        lost: expected - deliveries,
      })
      await sleep(500)
    }
    return { windows, idlePercent }
  } finally {
    await Promise.all([...sims.map((s) => s.stop()), relay.stop()])
  }
}

export const relayCostWorkload: Workload = {
  name: W,
  summary: `relay CPU per fanned-out change from /proc, ${CHANGES_PER_SEC} changes/s, Tabsync vs stock and Yjs (Hocuspocus) relays`,
  async run(ctx: BenchContext) {
    const durationMs = ctx.quick ? 5000 : 12_000
    // Long enough for every device to have started (10 x 5 devices send every 2 s each).
    const warmupMs = 3000
    const { kinds, points } = selection()
    for (const point of points) {
      const label = `${point.stores}x${point.devices}`
      for (const kind of kinds) {
        const path = kind === 'stock' ? Path.stock : kind === 'yjs' ? Path.yjs : Path.tabsync
        ctx.log(`${W} ${kind}: ${point.stores} stores x ${point.devices} devices`)
        const { windows, idlePercent } = await measurePoint(ctx, kind, point, {
          durationMs,
          warmupMs,
        })
        for (const w of windows) {
          ctx.log(
            `${W} ${kind} ${label}: relay ${w.cpuMs.toFixed(0)} ms CPU in ${w.wallMs.toFixed(0)} ms, ${w.changes} changes, ${w.deliveries} deliveries, ${w.lost} lost`,
          )
        }
        ctx.log(`${W} ${kind} ${label}: idle relay ${idlePercent.toFixed(1)}% of a core`)
        const lost = windows.reduce((n, w) => n + w.lost, 0)
        const vs = (name: string) => (kind !== 'stock' ? { vs: `${W}.stock ${name}` } : {})
        const perChange = windows.map((w) => w.cpuMs / Math.max(1, w.changes))
        // Changes are counted over the devices' window (durationMs); CPU over it plus the last deliveries.
        const rate = windows.map((w) => w.changes / (durationMs / 1000))
        const share = windows.map((w) => (100 * w.cpuMs) / w.wallMs)
        ctx.recorder.record(
          W,
          {
            name: `${kind} ${label} relay CPU per change`,
            path,
            unit: Unit.ms,
            ...vs(`${label} relay CPU per change`),
            note: `${Math.round(Math.min(...rate))}-${Math.round(Math.max(...rate))} changes/s, relay ${Math.round(Math.min(...share))}-${Math.round(Math.max(...share))}% of a core (idle ${idlePercent.toFixed(1)}%), ${lost} deliveries lost`,
          },
          perChange,
        )
        ctx.recorder.record(
          W,
          {
            name: `${kind} ${label} relay CPU per delivery`,
            path,
            unit: Unit.ms,
            ...vs(`${label} relay CPU per delivery`),
            note: `each change goes to ${point.devices - 1} other device(s)`,
          },
          windows.map((w) => w.cpuMs / Math.max(1, w.deliveries)),
        )
        ctx.recorder.record(
          W,
          {
            name: `${kind} ${label} devices per core`,
            path,
            unit: Unit.count,
            ...vs(`${label} devices per core`),
            note: `derived: 1 s of CPU / (CPU per change / ${DEVICE_INTERVAL_SEC} s), one change per device every ${DEVICE_INTERVAL_SEC} s`,
          },
          perChange.map((ms) => (DEVICE_INTERVAL_SEC * 1000) / ms),
        )
        await sleep(500)
      }
    }
  },
}
