// Workload: the relay's own CPU per fanned-out change, measured from outside. The relay runs in
// its own process and its CPU is read from /proc (every thread: JavaScript, WebAssembly, Node's
// thread pool, GC, kernel); the devices run in two other processes and send about 25 changes/s in
// total, each delivered to every other device of its store (deliveries are counted, not assumed).
// Same points, same run, for the Tabsync relay, a stock automerge-repo relay and a Yjs relay
// (Hocuspocus, with its Yjs devices doing the same order-shaped changes).
//
// Made to rank relays on a loaded shared machine (see bench/README.md, "Method"): every relay of
// a point is set up at once and their windows interleave (A B B A ...), so load drift hits all of
// them; each window subtracts the relay's idle CPU (every device connected, nobody changing
// anything) measured just before it; the devices keep a timetable and a window goes on until a
// minimum number of changes was sent; the ratio to stock is taken per adjacent pair of windows.
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
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
/** The idle window before each measured one (clock ticks are 10 ms: 0.5% of a core). */
const IDLE_MS = 2000
/** A window counts only with at least this share of the changes its duration asks for. */
const MIN_CHANGES_SHARE = 0.8
/** A window that has not reached the minimum goes on for at most this many times its duration. */
const MAX_STRETCH = 4
/** A window whose idle estimate is this share of its CPU or more is too noisy to rank (the idle
 *  measurement caught something else: a reconnect, another process's burst on the relay's core). */
const MAX_IDLE_SHARE = 0.5
/** How often the relay's CPU is sampled during a window (ms). */
const CPU_SAMPLE_MS = 100

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
type Kind = (typeof KINDS)[number]

/** A relay under test: its kind, and for Tabsync relay options when not their defaults. */
interface RelaySpec {
  /** `stock`, `yjs`, `tabsync`, or `tabsync~<ms>` (a Tabsync relay with that sync throttle),
   *  `tabsync~wb<ms>` (with that write-behind window), `tabsync~base` (the baseline relay's
   *  sources named by `TABSYNC_BENCH_BASELINE_RELAY`). */
  readonly name: string
  readonly kind: Kind
  readonly syncThrottleMs?: number
  readonly writeBehindMs?: number
  readonly relayModule?: string
}

/** `tabsync~base`: the relay sources of another commit, e.g. made with
 *  `git archive <commit> packages/relay/src | tar -x -C bench/.baseline/<commit>` (inside the
 *  repository, so its imports resolve to this tree's node_modules and workspace packages), and
 *  `TABSYNC_BENCH_BASELINE_RELAY=bench/.baseline/<commit>/packages/relay/src/index.ts`. */
function baselineRelay(): string {
  const file = process.env['TABSYNC_BENCH_BASELINE_RELAY']
  if (!file) throw new Error('tabsync~base needs TABSYNC_BENCH_BASELINE_RELAY=<relay src/index.ts>')
  return pathToFileURL(path.resolve(file)).href
}

function relaySpec(name: string): RelaySpec | undefined {
  const [kind, option] = name.split('~')
  if (!KINDS.includes(kind as Kind)) return undefined
  if (option === undefined) return { name, kind: kind as Kind }
  if (kind === 'tabsync' && option === 'base')
    return { name, kind: 'tabsync', relayModule: baselineRelay() }
  const writeBehind = option.startsWith('wb')
  const ms = Number(writeBehind ? option.slice(2) : option)
  if (kind !== 'tabsync' || option === '' || !Number.isFinite(ms) || ms < 0) return undefined
  return writeBehind
    ? { name, kind: 'tabsync', writeBehindMs: ms }
    : { name, kind: 'tabsync', syncThrottleMs: ms }
}

/** `TABSYNC_BENCH_RELAY_COST=tabsync,stock@1x2,10x5`: some relays and points only (profiling);
 *  `tabsync~20` is a Tabsync relay with a 20 ms sync throttle (default 0), to compare beside. */
function selection(): { relays: readonly RelaySpec[]; points: readonly Point[] } {
  const [relays, points] = (process.env['TABSYNC_BENCH_RELAY_COST'] ?? '').split('@')
  const names = relays ? relays.split(',').filter(Boolean) : [...KINDS]
  const specs = names.map((n) => {
    const spec = relaySpec(n)
    if (!spec) throw new Error(`TABSYNC_BENCH_RELAY_COST: unknown relay ${n}`)
    return spec
  })
  const list = points?.split(',')
  return {
    relays: specs,
    points: list ? POINTS.filter((p) => list.includes(`${p.stores}x${p.devices}`)) : POINTS,
  }
}

/** One measured window. */
interface Window {
  /** Relay CPU over the window (gross) and its idle CPU rate times the window's wall time. */
  readonly cpuMs: number
  readonly idleCpuMs: number
  readonly wallMs: number
  readonly changes: number
  /** How long the devices sent changes (the window's duration, or longer to reach the minimum). */
  readonly sendingMs: number
  readonly deliveries: number
  readonly lost: number
  /** Whether `changes` reached the minimum and the idle estimate is under half the window's CPU:
   *  only such windows are ranked. */
  readonly ranked: boolean
  /** Taps the devices' repos refused (not sent, not counted), with the first error. */
  readonly refused: string | undefined
  /** Frames in and out and file writes in the window: a Tabsync relay's /metrics (WebSocket
   *  frames, heartbeats included), the stock relay's repo messages and storage calls. */
  readonly counts: RelayCounters | undefined
}

interface RelayCounters {
  /** Changes the devices sent while these were counted (from the run request: warm-up included). */
  readonly changes?: number
  readonly framesIn: number
  readonly framesOut: number
  readonly storageWrites: number
}

/** A Tabsync or stock relay's counters now, or undefined for the Yjs relay. */
async function countersOf(rig: Rig): Promise<RelayCounters | undefined> {
  if (rig.spec.kind === 'yjs') return undefined
  return rig.relay.request<RelayCounters>({ type: 'counters' })
}

/** The relay's CPU (ms) at time `t` (epoch ms), interpolated between the samples around it. */
function cpuAt(samples: readonly (readonly [number, number])[], t: number): number {
  const first = samples[0] as readonly [number, number]
  if (t <= first[0]) return first[1]
  for (let i = 1; i < samples.length; i++) {
    const [t1, c1] = samples[i] as readonly [number, number]
    const [t0, c0] = samples[i - 1] as readonly [number, number]
    if (t <= t1) return t1 === t0 ? c1 : c0 + ((c1 - c0) * (t - t0)) / (t1 - t0)
  }
  return (samples.at(-1) as readonly [number, number])[1]
}

/** What the relay spent on the changes: the window's CPU less what it spends idle. */
const netCpuMs = (w: Window): number => Math.max(0, w.cpuMs - w.idleCpuMs)

async function startRelayOf(
  ctx: BenchContext,
  spec: RelaySpec,
): Promise<{ relay: Child; env: Record<string, string> }> {
  const kind = spec.kind
  if (kind === 'tabsync') {
    const t = await startTabsyncRelay(ctx, {
      ...(spec.syncThrottleMs === undefined ? {} : { syncThrottleMs: spec.syncThrottleMs }),
      ...(spec.writeBehindMs === undefined ? {} : { writeBehindMs: spec.writeBehindMs }),
      ...(spec.relayModule === undefined ? {} : { relayModule: spec.relayModule }),
    })
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

/** One relay of a point with its two device processes, set up and ready to measure. */
interface Rig {
  readonly spec: RelaySpec
  readonly relay: Child
  readonly sims: readonly Child[]
  /** Devices in each simulator (the stores are dealt out between them). */
  readonly devicesPerSim: readonly number[]
  stop(): Promise<void>
}

async function setUpRig(ctx: BenchContext, spec: RelaySpec, point: Point): Promise<Rig> {
  const kind = spec.kind
  const { relay, env } = await startRelayOf(ctx, spec)
  const sims: Child[] = []
  const stop = async () => {
    await Promise.all([...sims.map((s) => s.stop()), relay.stop()])
  }
  try {
    const sim = kind === 'yjs' ? 'yjs-sim' : 'capacity-sim'
    sims.push(await startChild(sim, { env }), await startChild(sim, { env }))
    const storesOf = (k: number) =>
      Array.from({ length: point.stores }, (_, i) => i).filter((s) => s % sims.length === k)
    await Promise.all(
      sims.map((sim, k) =>
        sim.request(
          {
            type: 'setup',
            stores: storesOf(k),
            devices: point.devices,
            orders: ORDERS_PER_STORE,
            tag: `${spec.name.replace('~', '-t')}-${k}`,
          },
          240_000,
        ),
      ),
    )
    return {
      spec,
      relay,
      sims,
      devicesPerSim: sims.map((_, k) => storesOf(k).length * point.devices),
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** The relay's CPU rate (ms per ms) with every device connected and nobody changing anything. */
async function idleRate(relay: Child): Promise<number> {
  const cpu0 = processCpuMs(relay.pid)
  const t0 = now()
  await sleep(IDLE_MS)
  return (processCpuMs(relay.pid) - cpu0) / (now() - t0)
}

/** An idle measurement, then one window of changes on `rig`. */
async function measureWindow(
  rig: Rig,
  point: Point,
  opts: { durationMs: number; warmupMs: number },
): Promise<Window> {
  // Let the previous window's last writes (write-behind, debounced saves) settle first.
  await sleep(1000)
  const idle = await idleRate(rig.relay)
  // Each device's mean gap so that all of them together send CHANGES_PER_SEC.
  const meanIntervalMs = ((point.stores * point.devices) / CHANGES_PER_SEC) * 1000
  const allDevices = point.stores * point.devices
  const wanted = (CHANGES_PER_SEC * opts.durationMs) / 1000
  const maxDurationMs = opts.durationMs * MAX_STRETCH
  const minOf = (k: number) =>
    Math.ceil((MIN_CHANGES_SHARE * wanted * (rig.devicesPerSim[k] ?? 0)) / allDevices)
  const replies = Promise.all(
    rig.sims.map((sim, k) =>
      sim.request<{
        samples: number[]
        changes: number
        changesWithWarmup: number
        sendingMs: number
        measuredFromEpochMs: number
        expected: number
        failedTaps: number
        firstError?: string
      }>(
        {
          type: 'run',
          durationMs: opts.durationMs,
          meanIntervalMs,
          warmupMs: opts.warmupMs,
          minChanges: minOf(k),
          maxDurationMs,
          onSchedule: true,
        },
        maxDurationMs + opts.warmupMs + 120_000,
      ),
    ),
  )
  // The devices count changes from the end of their own warm-up; the relay's CPU is read from
  // that moment to the last delivery (or the simulators' 5 s wait for a lost one). A timer here
  // may fire late on a loaded machine, so the CPU is sampled all along with the time of each
  // sample and read at the simulators' start by interpolation.
  const counts0 = await countersOf(rig)
  const samples: (readonly [number, number])[] = []
  const sample = () => samples.push([performance.timeOrigin + now(), processCpuMs(rig.relay.pid)])
  sample()
  const sampler = setInterval(sample, CPU_SAMPLE_MS)
  let results: Awaited<typeof replies>
  try {
    results = await replies
  } finally {
    clearInterval(sampler)
  }
  sample()
  const counts1 = await countersOf(rig)
  const from = Math.min(...results.map((r) => r.measuredFromEpochMs))
  const [tEnd, cpuEnd] = samples.at(-1) as readonly [number, number]
  const cpuMs = cpuEnd - cpuAt(samples, from)
  const wallMs = tEnd - from
  const failed = results.reduce((n, r) => n + r.failedTaps, 0)
  const deliveries = results.reduce((n, r) => n + r.samples.length, 0)
  const expected = results.reduce((n, r) => n + r.expected, 0)
  return {
    cpuMs,
    idleCpuMs: idle * wallMs,
    wallMs,
    changes: results.reduce((n, r) => n + r.changes, 0),
    sendingMs: Math.max(...results.map((r) => r.sendingMs)),
    deliveries,
    lost: expected - deliveries,
    ranked:
      results.every((r, k) => r.changes >= minOf(k)) && idle * wallMs < MAX_IDLE_SHARE * cpuMs,
    refused:
      failed > 0
        ? `${failed} taps refused (${results.find((r) => r.firstError)?.firstError})`
        : undefined,
    counts:
      counts0 && counts1
        ? {
            changes: results.reduce((n, r) => n + r.changesWithWarmup, 0),
            framesIn: counts1.framesIn - counts0.framesIn,
            framesOut: counts1.framesOut - counts0.framesOut,
            storageWrites: counts1.storageWrites - counts0.storageWrites,
          }
        : undefined,
  }
}

const pathOf = (kind: Kind) =>
  kind === 'stock' ? Path.stock : kind === 'yjs' ? Path.yjs : Path.tabsync

function recordRelay(
  ctx: BenchContext,
  spec: RelaySpec,
  label: string,
  point: Point,
  all: readonly Window[],
  stockWindows: readonly Window[] | undefined,
): void {
  const kind = spec.name
  const path = pathOf(spec.kind)
  // Only ranked windows count; if none is, all are shown, and said so.
  const rankable = all.filter((w) => w.ranked)
  const windows = rankable.length > 0 ? rankable : all
  const ranked =
    rankable.length > 0
      ? `${rankable.length}/${all.length} windows`
      : 'NO window rankable (below the minimum or idle too high)'
  const lost = windows.reduce((n, w) => n + w.lost, 0)
  const vs = (name: string) => (kind !== 'stock' ? { vs: `${W}.stock ${name}` } : {})
  const perChange = windows.map((w) => netCpuMs(w) / Math.max(1, w.changes))
  const rate = windows.map((w) => w.changes / (w.sendingMs / 1000))
  const share = windows.map((w) => (100 * w.cpuMs) / w.wallMs)
  const idle = windows.map((w) => (100 * w.idleCpuMs) / w.wallMs)
  const range = (xs: number[], digits = 0) =>
    `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`
  ctx.recorder.record(
    W,
    {
      name: `${kind} ${label} relay CPU per change`,
      path,
      unit: Unit.ms,
      ...vs(`${label} relay CPU per change`),
      note: `idle subtracted; ${ranked}; ${range(windows.map((w) => w.changes))} changes at ${range(rate)}/s, relay ${range(share)}% of a core (idle ${range(idle, 1)}%), ${lost} deliveries lost`,
    },
    perChange,
  )
  ctx.recorder.record(
    W,
    {
      name: `${kind} ${label} relay CPU per change, idle included`,
      path,
      unit: Unit.ms,
      ...vs(`${label} relay CPU per change, idle included`),
      note: "the whole window's relay CPU over the changes sent (the figure before idle subtraction)",
    },
    windows.map((w) => w.cpuMs / Math.max(1, w.changes)),
  )
  ctx.recorder.record(
    W,
    {
      name: `${kind} ${label} relay CPU per delivery`,
      path,
      unit: Unit.ms,
      ...vs(`${label} relay CPU per delivery`),
      note: `idle subtracted; each change goes to ${point.devices - 1} other device(s)`,
    },
    windows.map((w) => netCpuMs(w) / Math.max(1, w.deliveries)),
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
  if (kind === 'stock' || stockWindows === undefined) return
  // Window i of this relay and window i of stock ran next to each other: their ratio is what
  // load drift disturbs least.
  const pairs = all.flatMap((w, i) => {
    const s = stockWindows[i]
    if (!s || !w.ranked || !s.ranked) return []
    return [netCpuMs(w) / Math.max(1, w.changes) / (netCpuMs(s) / Math.max(1, s.changes))]
  })
  if (pairs.length === 0) {
    ctx.log(`${W} ${kind} ${label}: no pair of ranked windows, no paired ratio`)
    return
  }
  ctx.recorder.record(
    W,
    {
      name: `${kind} ${label} ÷ stock per change, paired windows`,
      path,
      unit: Unit.count,
      note: `CPU per change (idle subtracted) ÷ that of the stock window next to it; ${pairs.length} pair(s)`,
    },
    pairs,
  )
}

export const relayCostWorkload: Workload = {
  name: W,
  summary: `relay CPU per fanned-out change from /proc, ${CHANGES_PER_SEC} changes/s, Tabsync vs stock and Yjs (Hocuspocus) relays, interleaved, idle subtracted`,
  async run(ctx: BenchContext) {
    const durationMs = ctx.quick ? 5000 : 12_000
    // Long enough for every device to have started (10 x 5 devices send every 2 s each).
    const warmupMs = 3000
    const { relays, points } = selection()
    for (const point of points) {
      const label = `${point.stores}x${point.devices}`
      const rigs: Rig[] = []
      try {
        for (const spec of relays) {
          ctx.log(`${W} ${spec.name}: setting up ${point.stores} stores x ${point.devices} devices`)
          rigs.push(await setUpRig(ctx, spec, point))
        }
        const windows = new Map<string, Window[]>(relays.map((r) => [r.name, []]))
        for (let run = 0; run < ctx.runs; run++) {
          // A B ... then ... B A: a drift in the machine's load hits every relay alike.
          const order = run % 2 === 0 ? rigs : [...rigs].reverse()
          for (const rig of order) {
            const w = await measureWindow(rig, point, { durationMs, warmupMs })
            windows.get(rig.spec.name)?.push(w)
            ctx.log(
              `${W} ${rig.spec.name} ${label} run ${run + 1}: relay ${w.cpuMs.toFixed(0)} ms CPU (idle ${w.idleCpuMs.toFixed(0)}) in ${w.wallMs.toFixed(0)} ms, ${w.changes} changes in ${w.sendingMs.toFixed(0)} ms${w.ranked ? '' : ' (NOT RANKED: below the minimum or idle too high)'}, ${w.deliveries} deliveries, ${w.lost} lost, net ${(netCpuMs(w) / Math.max(1, w.changes)).toFixed(2)} ms/change`,
            )
            if (w.refused) ctx.log(`${W} ${rig.spec.name} ${label}: ${w.refused}`)
            if (w.counts) {
              const per = (n: number) => (n / Math.max(1, w.counts?.changes ?? 0)).toFixed(2)
              ctx.log(
                `${W} ${rig.spec.name} ${label}: per change ${per(w.counts.framesIn)} frames in, ${per(w.counts.framesOut)} out, ${per(w.counts.storageWrites)} file writes`,
              )
            }
          }
        }
        for (const spec of relays)
          recordRelay(ctx, spec, label, point, windows.get(spec.name) ?? [], windows.get('stock'))
      } finally {
        await Promise.all(rigs.map((r) => r.stop()))
      }
      await sleep(500)
    }
  },
}
