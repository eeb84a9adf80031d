// Workload 5: relay capacity. S stores x D devices (simulated in 2 other processes) at
// dinner-rush rate; the largest S x D the relay holds with p99 fan-out <= 100 ms, and its memory
// per store and per loaded document. The search is bounded in points and in time.
import { startChild, type Child } from '../child/processes.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { Path, Unit } from '../figures.js'
import { distribution } from '../stats.js'
import { now, sleep, type BenchContext, type Workload } from '../workload.js'

const W = 'capacity'
const ORDERS_PER_STORE = 10
const P99_LIMIT_MS = 100

interface Point {
  readonly stores: number
  readonly devices: number
}

interface PointResult extends Point {
  readonly p50: number
  readonly p99: number
  readonly lost: number
  readonly changesPerSec: number
  readonly relayMbPerStore: number
  readonly relayMbPerDoc: number
  readonly held: boolean
}

async function measurePoint(
  ctx: BenchContext,
  kind: 'stock' | 'tabsync',
  point: Point,
  opts: { durationMs: number; meanIntervalMs: number; warmupMs: number },
): Promise<PointResult> {
  let relay: Child
  let env: Record<string, string>
  if (kind === 'tabsync') {
    const t = await startTabsyncRelay(ctx, { exposeGc: true })
    relay = t.relay
    env = {
      TABSYNC_BENCH_URL: t.url,
      TABSYNC_BENCH_SECRET: t.secret,
      TABSYNC_BENCH_PATH: 'tabsync',
    }
  } else {
    const dir = await ctx.tempDir('capacity-relay')
    const r = await startChild('stock-relay', {
      env: { TABSYNC_BENCH_DIR: dir, NODE_OPTIONS: '--expose-gc' },
    })
    relay = r
    env = { TABSYNC_BENCH_URL: String(r.ready['url']), TABSYNC_BENCH_PATH: 'stock' }
  }
  const sims: Child[] = []
  try {
    sims.push(await startChild('capacity-sim', { env }), await startChild('capacity-sim', { env }))
    await relay.request({ type: 'gc' })
    const base = await relay.request<{ rssMb: number; heapMb: number }>({ type: 'stats' })
    const storeIds = Array.from({ length: point.stores }, (_, i) => i)
    await Promise.all(
      sims.map((sim, k) =>
        sim.request(
          {
            type: 'setup',
            stores: storeIds.filter((s) => s % sims.length === k),
            devices: point.devices,
            orders: ORDERS_PER_STORE,
            tag: `${k}`,
          },
          240_000,
        ),
      ),
    )
    const results = await Promise.all(
      sims.map((sim) =>
        sim.request<{ samples: number[]; changes: number; expected: number }>(
          { type: 'run', ...opts },
          opts.durationMs + opts.warmupMs + 120_000,
        ),
      ),
    )
    await relay.request({ type: 'gc' })
    const after = await relay.request<{ rssMb: number; heapMb: number; handles: number }>({
      type: 'stats',
    })
    const samples = results.flatMap((r) => r.samples)
    const expected = results.reduce((n, r) => n + r.expected, 0)
    const changes = results.reduce((n, r) => n + r.changes, 0)
    const d = samples.length > 0 ? distribution(samples) : { p50: Infinity, p99: Infinity }
    const lost = expected - samples.length
    const grown = Math.max(0, after.rssMb - base.rssMb)
    return {
      ...point,
      p50: d.p50,
      p99: d.p99,
      lost,
      changesPerSec: changes / (opts.durationMs / 1000),
      relayMbPerStore: grown / point.stores,
      relayMbPerDoc: grown / Math.max(1, after.handles),
      held: d.p99 <= P99_LIMIT_MS && lost === 0,
    }
  } finally {
    await Promise.all([...sims.map((s) => s.stop()), relay.stop()])
  }
}

export const capacityWorkload: Workload = {
  name: W,
  summary: 'relay capacity: S stores x D devices at dinner-rush rate, p99 fan-out <= 100 ms',
  async run(ctx: BenchContext) {
    const meanIntervalMs = 3000
    const durationMs = ctx.quick ? 4000 : 20_000
    const points: Point[] = ctx.quick
      ? [{ stores: 3, devices: 3 }]
      : [
          { stores: 2, devices: 3 },
          { stores: 5, devices: 4 },
          { stores: 10, devices: 5 },
          { stores: 20, devices: 10 },
          { stores: 50, devices: 10 },
          { stores: 100, devices: 10 },
          { stores: 200, devices: 10 },
        ]
    const budgetMs = ctx.quick ? 60_000 : 4 * 60_000
    for (const kind of ['stock', 'tabsync'] as const) {
      const path = kind === 'stock' ? Path.stock : Path.tabsync
      const started = now()
      let best: PointResult | undefined
      const tried: PointResult[] = []
      try {
        for (const point of points) {
          if (now() - started > budgetMs) {
            ctx.log(
              `capacity ${kind}: time budget spent, stopping before ${point.stores}x${point.devices}`,
            )
            break
          }
          ctx.log(`capacity ${kind}: ${point.stores} stores x ${point.devices} devices`)
          const r = await measurePoint(ctx, kind, point, {
            durationMs,
            meanIntervalMs,
            warmupMs: ctx.quick ? 1000 : 4000,
          })
          tried.push(r)
          ctx.log(
            `capacity ${kind}: ${point.stores}x${point.devices}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}, ${r.changesPerSec.toFixed(0)} changes/s, ${r.held ? 'held' : 'NOT held'}`,
          )
          if (!r.held) break
          best = r
          await sleep(500)
        }
      } catch (e) {
        ctx.log(`capacity ${kind}: failed: ${e instanceof Error ? e.message : String(e)}`)
      }
      // One search per bench run: these figures have a single run.
      const rec = (
        name: string,
        unit: Unit,
        value: number,
        extra: { note?: string; vs?: string; target?: { value: number; higher?: boolean } } = {},
      ) => ctx.recorder.record(W, { name, path, unit, ...extra }, [value])
      const vs = (name: string) => (kind === 'tabsync' ? { vs: `${W}.stock ${name}` } : {})
      for (const r of tried) {
        const label = `${r.stores}x${r.devices}`
        rec(`${kind} ${label} fan-out p50`, Unit.ms, r.p50, vs(`${label} fan-out p50`))
        rec(`${kind} ${label} fan-out p99`, Unit.ms, r.p99, {
          ...vs(`${label} fan-out p99`),
          note: `${r.changesPerSec.toFixed(0)} changes/s, ${r.lost} deliveries lost`,
        })
      }
      rec(
        `${kind} largest stores x devices held`,
        Unit.count,
        best ? best.stores * best.devices : 0,
        {
          ...vs('largest stores x devices held'),
          ...(ctx.quick || kind === 'stock' ? {} : { target: { value: 2000, higher: true } }),
          note: best
            ? `${best.stores} stores x ${best.devices} devices; simulators share the 2 cores`
            : 'no point held',
        },
      )
      // Memory at the largest point held, else at the last point tried (it says which).
      const mem = best ?? tried[tried.length - 1]
      if (mem) {
        const at = `${mem.stores}x${mem.devices}`
        rec(`${kind} relay memory per store`, Unit.mb, mem.relayMbPerStore, {
          ...vs('relay memory per store'),
          note: `at ${at}; ${ORDERS_PER_STORE} open orders per store, RSS growth`,
        })
        rec(`${kind} relay memory per loaded document`, Unit.mb, mem.relayMbPerDoc, {
          ...vs('relay memory per loaded document'),
          note: `at ${at}`,
        })
      }
    }
  },
}
