// Workload: a Tabsync relay cluster on one throwaway PostgreSQL, 1, 2 and 3 nodes (each its own
// process), the same stores and devices (in other processes, entering through the nodes in turn
// like a round-robin load balancer, following `moved` to the store's owner) at the same offered
// load: relay CPU per change over all nodes and on the busiest node, fan-out latency, how many
// stores each node serves, and (3 nodes) what a kill -9 of a store's owner costs with the lease.
import { startChild, type Child } from '../child/processes.js'
import { processCpuMs } from '../fixtures/proc-cpu.js'
import { Path, Unit } from '../figures.js'
import { percentile } from '../stats.js'
import { now, sleep, type BenchContext, type Workload } from '../workload.js'
// The relay tests' throwaway PostgreSQL (initdb in a temporary directory, its own port).
import {
  freePort,
  startTestPostgres,
  type TestPostgres,
} from '../../../packages/relay/test/helpers/postgres.js'
import { randomBytes } from 'node:crypto'

const W = 'cluster'
const ORDERS_PER_STORE = 5

/** The stores, devices and offered load (the same for every cluster size). */
interface Shape {
  readonly stores: number
  readonly devices: number
  /** Changes per second across all devices. */
  readonly changesPerSec: number
}
const FULL: Shape = { stores: 6, devices: 3, changesPerSec: 30 }
// Small enough to set up three times in a few minutes on the loaded 2-core machine.
const QUICK: Shape = { stores: 4, devices: 2, changesPerSec: 12 }
/** The lease (`--lease-ms`): a dead node's stores move after at most this long. 3 s lapsed on
 *  the loaded 2-core machine (renewals every second came late), so a little more. */
const LEASE_MS = 5000
/** Cluster sizes measured; `TABSYNC_BENCH_CLUSTER_NODES=3` (comma list) re-runs some of them. */
const NODE_COUNTS: readonly number[] = (process.env['TABSYNC_BENCH_CLUSTER_NODES'] ?? '1,2,3')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1 && n <= 3)

interface Node {
  readonly nodeId: string
  readonly url: string
  readonly child: Child
}

interface Window {
  /** One line per simulator (which stores lagged, and why a tap failed). */
  readonly perSim: string[]
  readonly cpuMs: number[]
  readonly wallMs: number
  readonly changes: number
  readonly samples: number[]
  readonly lost: number
}

/** Starts the nodes one after the other (starting them at once overran the 30 s ready deadline
 *  of a child on the loaded machine). */
async function startNodes(
  ctx: BenchContext,
  pg: TestPostgres,
  count: number,
  secret: string,
): Promise<Node[]> {
  const nodes: Node[] = []
  for (let i = 1; i <= count; i++) {
    const child = await startChild('cluster-node', {
      env: {
        TABSYNC_BENCH_PORT: String(await freePort()),
        TABSYNC_BENCH_DIR: await ctx.tempDir(`cluster-n${i}`),
        TABSYNC_BENCH_SECRET: secret,
        TABSYNC_BENCH_POSTGRES: pg.url,
        TABSYNC_BENCH_NODE_ID: `n${i}`,
        TABSYNC_BENCH_LEASE_MS: String(LEASE_MS),
      },
    })
    nodes.push({ nodeId: `n${i}`, url: String(child.ready['url']), child })
  }
  return nodes
}

/** Stores served per node id, from the lease table. */
async function storesPerNode(pg: TestPostgres, nodes: readonly Node[]): Promise<number[]> {
  const rows = await pg.query(
    `SELECT split_part(holder, '/', 1), count(*) FROM tabsync_leases
     WHERE expires_at > now() GROUP BY 1`,
  )
  const held = new Map(rows.map(([node, n]) => [node, Number(n)]))
  return nodes.map((n) => held.get(n.nodeId) ?? 0)
}

/** One window of the simulators: every node's CPU over it, the deliveries and their latency. */
async function measureWindow(
  sims: readonly Child[],
  nodes: readonly Node[],
  opts: { durationMs: number; warmupMs: number; meanIntervalMs: number },
  during?: () => Promise<void>,
): Promise<Window> {
  const replies = Promise.all(
    sims.map((sim) =>
      sim.request<{
        samples: number[]
        changes: number
        expected: number
        failedTaps: number
        firstError?: string
        loopDelayMaxMs: number
      }>({ type: 'run', ...opts }, opts.durationMs + opts.warmupMs + 120_000),
    ),
  )
  await sleep(opts.warmupMs)
  const cpu0 = nodes.map((n) => processCpuMs(n.child.pid))
  const t0 = now()
  await during?.()
  const results = await replies
  const cpuMs = nodes.map((n, i) => cpuOf(n) - (cpu0[i] ?? 0))
  const samples = results.flatMap((r) => r.samples)
  return {
    perSim: results.map(
      (r) =>
        `${r.changes} changes, p99 ${p99(r.samples).toFixed(0)} ms, ${r.expected - r.samples.length} lost, event loop held up to ${r.loopDelayMaxMs.toFixed(0)} ms` +
        (r.failedTaps > 0 ? `, ${r.failedTaps} taps failed (${r.firstError ?? ''})` : ''),
    ),
    cpuMs,
    wallMs: now() - t0,
    changes: results.reduce((n, r) => n + r.changes, 0),
    samples,
    lost: results.reduce((n, r) => n + r.expected, 0) - samples.length,
  }
}

/** Records a figure, or says why there is none (no window delivered anything). */
function recordSome(
  ctx: BenchContext,
  spec: Parameters<BenchContext['recorder']['record']>[1],
  values: readonly number[],
): void {
  if (values.length > 0) ctx.recorder.record(W, spec, values)
  else ctx.log(`${W}: ${spec.name}: not measured (no delivery in any window)`)
}

/** The 99th percentile, or NaN for a window with no delivery at all (a starved machine). */
function p99(samples: readonly number[]): number {
  return samples.length === 0 ? NaN : percentile(samples, 99)
}

/** A node killed with SIGKILL has no /proc entry any more: count what it used until then as 0. */
function cpuOf(node: Node): number {
  try {
    return processCpuMs(node.child.pid)
  } catch {
    return 0
  }
}

async function measureCluster(
  ctx: BenchContext,
  pg: TestPostgres,
  count: number,
  shape: Shape,
  opts: { durationMs: number; warmupMs: number },
): Promise<void> {
  const { stores: STORES, devices: DEVICES, changesPerSec: CHANGES_PER_SEC } = shape
  const secret = randomBytes(32).toString('hex')
  const nodes = await startNodes(ctx, pg, count, secret)
  const sims: Child[] = []
  const label = `${count} node${count > 1 ? 's' : ''}`
  try {
    // At least 2 simulator processes; simulator k enters through node k (mod the node count)
    // and lists the others for failover.
    for (let k = 0; k < Math.max(2, count); k++) {
      const entry = nodes[k % count]!
      sims.push(
        await startChild('capacity-sim', {
          env: {
            TABSYNC_BENCH_URL: entry.url,
            TABSYNC_BENCH_ALTERNATE_URLS: nodes
              .filter((n) => n !== entry)
              .map((n) => n.url)
              .join(','),
            TABSYNC_BENCH_SECRET: secret,
            TABSYNC_BENCH_PATH: 'tabsync',
          },
        }),
      )
    }
    await Promise.all(
      sims.map((sim, k) =>
        sim.request(
          {
            type: 'setup',
            stores: Array.from({ length: STORES }, (_, i) => i).filter(
              (s) => s % sims.length === k,
            ),
            devices: DEVICES,
            orders: ORDERS_PER_STORE,
            tag: `c${count}-${k}`,
          },
          240_000,
        ),
      ),
    )
    const meanIntervalMs = ((STORES * DEVICES) / CHANGES_PER_SEC) * 1000
    const perNode = await storesPerNode(pg, nodes)
    ctx.log(`${W} ${label}: stores per node ${perNode.join(' / ')}`)
    // One window thrown away first. Measured right after the setup, the first window had every
    // process of the run held up (simulators' event loops up to 3 s, lease renewals 2-3 s on the
    // nodes, no statement slow in PostgreSQL) and delivered late or nothing within the grace,
    // whatever the product did; the next windows did not. Its line is still logged.
    const settle = await measureWindow(sims, nodes, { ...opts, meanIntervalMs })
    ctx.log(
      `${W} ${label}: settling window (not measured): ${settle.changes} changes, p99 ${p99(settle.samples).toFixed(1)} ms, ${settle.lost} lost; per simulator: ${settle.perSim.join(' | ')}`,
    )
    await sleep(500)
    const windows: Window[] = []
    for (let run = 0; run < ctx.runs; run++) {
      const w = await measureWindow(sims, nodes, { ...opts, meanIntervalMs })
      ctx.log(
        `${W} ${label}: CPU ${w.cpuMs.map((c) => c.toFixed(0)).join(' / ')} ms in ${w.wallMs.toFixed(0)} ms, ${w.changes} changes, p99 ${p99(w.samples).toFixed(1)} ms, ${w.lost} lost; per simulator: ${w.perSim.join(' | ')}`,
      )
      windows.push(w)
      await sleep(500)
    }
    const lost = windows.reduce((n, w) => n + w.lost, 0)
    const rate = windows.map((w) => w.changes / (opts.durationMs / 1000))
    ctx.recorder.record(
      W,
      {
        name: `${label} relay CPU per change (all nodes)`,
        path: Path.tabsync,
        unit: Unit.ms,
        ...(count > 1 ? { vs: `${W}.1 node relay CPU per change (all nodes)` } : {}),
        note: `${STORES} stores x ${DEVICES} devices, ${Math.round(Math.min(...rate))}-${Math.round(Math.max(...rate))} changes/s, ${lost} deliveries lost; PostgreSQL's own CPU not counted`,
      },
      windows.map((w) => w.cpuMs.reduce((a, b) => a + b, 0) / Math.max(1, w.changes)),
    )
    ctx.recorder.record(
      W,
      {
        name: `${label} busiest node CPU (% of a core)`,
        path: Path.tabsync,
        unit: Unit.count,
        ...(count > 1 ? { vs: `${W}.1 node busiest node CPU (% of a core)` } : {}),
        note: 'the node with the most relay CPU in the window',
      },
      windows.map((w) => (100 * Math.max(...w.cpuMs)) / w.wallMs),
    )
    recordSome(
      ctx,
      {
        name: `${label} fan-out p99`,
        path: Path.tabsync,
        unit: Unit.ms,
        note: 'a change on one device until each other device of its store has it',
      },
      windows.map((w) => p99(w.samples)).filter((v) => !Number.isNaN(v)),
    )
    ctx.recorder.record(
      W,
      {
        name: `${label} stores on the busiest node`,
        path: Path.tabsync,
        unit: Unit.count,
        note: `of ${STORES}; per node ${perNode.join(' / ')} (devices enter through the nodes in turn)`,
      },
      [Math.max(...perNode)],
    )
    if (count === 3) await measureFailover(ctx, pg, sims, nodes, { ...opts, meanIntervalMs })
  } finally {
    await Promise.all([...sims.map((s) => s.stop()), ...nodes.map((n) => n.child.stop())])
  }
}

/**
 * kill -9 of the node serving store-0 in the middle of a window: how long until another node
 * holds its lease, and the longest a change waited to reach the other devices of its store.
 */
async function measureFailover(
  ctx: BenchContext,
  pg: TestPostgres,
  sims: readonly Child[],
  nodes: readonly Node[],
  opts: { durationMs: number; warmupMs: number; meanIntervalMs: number },
): Promise<void> {
  const holderOf = async () =>
    (await pg.query(`SELECT holder FROM tabsync_leases WHERE store_id = 'store-0'`))[0]?.[0] ?? ''
  const before = await holderOf()
  const victim = nodes.find((n) => before.startsWith(`${n.nodeId}/`))
  if (!victim) throw new Error(`${W}: nobody holds store-0 (${before})`)
  let leaseMovedMs = NaN
  const w = await measureWindow(
    sims,
    nodes,
    // Long enough for the lease to run out and the devices to catch up inside the window.
    { ...opts, durationMs: Math.max(opts.durationMs, 3 * LEASE_MS + 3000) },
    async () => {
      await sleep(1000)
      const killedAt = now()
      process.kill(victim.child.pid, 'SIGKILL')
      for (;;) {
        const holder = await holderOf()
        if (holder !== before && holder !== '') break
        await sleep(50)
      }
      leaseMovedMs = now() - killedAt
    },
  )
  ctx.log(
    `${W} failover: lease moved ${leaseMovedMs.toFixed(0)} ms after kill -9, longest delivery wait ${(w.samples.length > 0 ? Math.max(...w.samples) : NaN).toFixed(0)} ms, ${w.changes} changes, ${w.samples.length} deliveries, ${w.lost} lost`,
  )
  ctx.recorder.record(
    W,
    {
      name: `3 nodes kill -9: lease taken over after`,
      path: Path.tabsync,
      unit: Unit.ms,
      note: `lease ${LEASE_MS} ms; another node takes the store when a device of it arrives after expiry`,
    },
    [leaseMovedMs],
  )
  recordSome(
    ctx,
    {
      name: `3 nodes kill -9: longest delivery wait`,
      path: Path.tabsync,
      unit: Unit.ms,
      note: `the change that waited longest to reach the other devices of its store, across the kill (${w.lost} deliveries lost)`,
    },
    w.samples.length === 0 ? [] : [Math.max(...w.samples)],
  )
}

export const clusterWorkload: Workload = {
  name: W,
  summary: `relay cluster on PostgreSQL, 1/2/3 nodes: CPU per change, fan-out, stores per node, kill -9 failover (lease ${LEASE_MS} ms)`,
  async run(ctx: BenchContext) {
    const pg = await startTestPostgres()
    try {
      const durationMs = ctx.quick ? 5000 : 12_000
      const shape = ctx.quick ? QUICK : FULL
      for (const count of NODE_COUNTS) {
        ctx.log(`${W}: ${count} node(s), ${shape.stores} stores x ${shape.devices} devices`)
        await measureCluster(ctx, pg, count, shape, { durationMs, warmupMs: 3000 })
        // The next cluster starts from an empty database (same store ids, fresh documents).
        await pg.query('TRUNCATE tabsync_chunks, tabsync_leases, tabsync_write_audit')
        await sleep(500)
      }
    } finally {
      await pg.destroy()
    }
  },
}
