// Workload 2: change latency device -> relay -> device over real loopback WebSockets, the relay
// in its own process, the two devices in another. Paths side by side, interleaved run by run:
// bare WebSocket floors, the in-process sync protocol, stock automerge-repo, stock with its
// 100 ms per-document sync throttle patched to 0, and Tabsync.
import { Path, Unit, repeat, type FigureSpec } from '../figures.js'
import { startChild, type Child } from '../child/processes.js'
import { bareForward, echoRoundTrip } from '../floors/ws-floor.js'
import { inProcessSync, oneChangeMessage } from '../floors/automerge-sync.js'
import type { LatencySamples } from '../fixtures/latency-scenarios.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { distribution } from '../stats.js'
import type { BenchContext, Workload } from '../workload.js'

const W = 'latency'

interface RepoPath {
  readonly key: string
  readonly path: Path
  readonly relay: Child
  readonly driver: Child
}

async function startStockPath(
  ctx: BenchContext,
  key: string,
  throttleMs?: number,
): Promise<RepoPath> {
  const dir = await ctx.tempDir(`relay-${key}`)
  const patch = throttleMs === undefined ? {} : { syncThrottleMs: throttleMs }
  const relay = await startChild('stock-relay', { env: { TABSYNC_BENCH_DIR: dir }, ...patch })
  const driver = await startChild('latency-driver', {
    env: { TABSYNC_BENCH_PATH: 'stock', TABSYNC_BENCH_URL: String(relay.ready['url']) },
    ...patch,
  })
  return { key, path: throttleMs === undefined ? Path.stock : Path.stockNoThrottle, relay, driver }
}

/** Tabsync; `changeFrames: false` runs it with the change fast path off (sync exchange only). */
async function startTabsyncPath(
  ctx: BenchContext,
  changeFrames = true,
): Promise<RepoPath | undefined> {
  try {
    const { relay, url, secret } = await startTabsyncRelay(ctx)
    ctx.log(`latency: Tabsync relay at ${url}${changeFrames ? '' : ' (sync only)'}`)
    const driver = await startChild('latency-driver', {
      env: {
        TABSYNC_BENCH_PATH: 'tabsync',
        TABSYNC_BENCH_URL: url,
        TABSYNC_BENCH_TOKEN_SECRET: secret,
        TABSYNC_BENCH_CHANGE_FRAMES: changeFrames ? '1' : '0',
      },
    })
    return changeFrames
      ? { key: 'tabsync', path: Path.tabsync, relay, driver }
      : { key: 'synconly', path: Path.tabsyncSyncOnly, relay, driver }
  } catch (e) {
    ctx.log(`latency: Tabsync path unavailable: ${e instanceof Error ? e.message : String(e)}`)
    return undefined
  }
}

export const latencyWorkload: Workload = {
  name: W,
  summary: 'change latency A -> relay -> B: human pace and rapid taps, floors and peers',
  async run(ctx: BenchContext) {
    const human = { orders: 8, changes: ctx.quick ? 40 : 300, intervalMs: 30 }
    const rapid = { taps: ctx.quick ? 20 : 100, intervalMs: 20 }
    const payload = oneChangeMessage()
    const bare = await startChild('bare-relay')
    const bareUrl = String(bare.ready['url'])
    const paths: RepoPath[] = [
      await startStockPath(ctx, 'stock'),
      await startStockPath(ctx, 'nothrottle', 0),
    ]
    const tabsync = await startTabsyncPath(ctx)
    if (tabsync) paths.push(tabsync)
    const syncOnly = await startTabsyncPath(ctx, false)
    if (syncOnly) paths.push(syncOnly)

    const v = await repeat(ctx.runs, async (run) => {
      ctx.log(`latency run ${run + 1}/${ctx.runs}`)
      const m: Record<string, number> = {}
      const put = (key: string, samples: number[]) => {
        const d = distribution(samples)
        m[`${key}.p50`] = d.p50
        m[`${key}.p99`] = d.p99
      }
      put(
        'bare.human',
        await bareForward(bareUrl, { count: human.changes, intervalMs: human.intervalMs, payload }),
      )
      put(
        'echo.human',
        await echoRoundTrip(bareUrl, {
          count: human.changes,
          intervalMs: human.intervalMs,
          payload,
        }),
      )
      const inproc = inProcessSync(human.changes)
      put('inproc.human', inproc.samples)
      m['syncMessage.bytes'] = inproc.messageBytes
      for (const p of paths) {
        const h = await p.driver.request<LatencySamples>({ type: 'human', ...human })
        put(`${p.key}.human`, h.samples)
        if (h.saved.length > 0) put(`${p.key}.saved`, h.saved)
        const r = await p.driver.request<LatencySamples>({ type: 'rapid', ...rapid })
        put(`${p.key}.rapid`, r.samples)
        m[`${p.key}.lost`] = h.lost + r.lost
      }
      return m
    })
    await Promise.all([bare.stop(), ...paths.flatMap((p) => [p.driver.stop(), p.relay.stop()])])

    const rec = (spec: FigureSpec, key: string) => ctx.recorder.record(W, spec, v[key] as number[])
    const ms = Unit.ms
    const humanNote = `${human.orders} orders, a line added every ${human.intervalMs} ms across them`
    const rapidNote = `+1 on one line of one order every ${rapid.intervalMs} ms`
    rec(
      { name: 'sync message bytes per added line', path: Path.automerge, unit: Unit.bytes },
      'syncMessage.bytes',
    )
    for (const q of ['p50', 'p99']) {
      const bareId = rec(
        {
          name: `bare ws relay A->B ${q}`,
          path: Path.floor,
          unit: ms,
          note: 'same bytes as one sync message',
        },
        `bare.human.${q}`,
      )
      rec({ name: `ws echo round trip ${q}`, path: Path.floor, unit: ms }, `echo.human.${q}`)
      rec(
        {
          name: `in-process automerge sync ${q}`,
          path: Path.floor,
          unit: ms,
          vs: bareId,
          note: 'addLine + generate + receive, no network',
        },
        `inproc.human.${q}`,
      )
      const stockH = rec(
        { name: `stock human pace ${q}`, path: Path.stock, unit: ms, vs: bareId, note: humanNote },
        `stock.human.${q}`,
      )
      const stockR = rec(
        { name: `stock rapid taps ${q}`, path: Path.stock, unit: ms, vs: bareId, note: rapidNote },
        `stock.rapid.${q}`,
      )
      rec(
        {
          name: `stock no-throttle human pace ${q}`,
          path: Path.stockNoThrottle,
          unit: ms,
          vs: stockH,
          note: 'syncDebounceRate 0 on clients and relay',
        },
        `nothrottle.human.${q}`,
      )
      rec(
        {
          name: `stock no-throttle rapid taps ${q}`,
          path: Path.stockNoThrottle,
          unit: ms,
          vs: stockR,
        },
        `nothrottle.rapid.${q}`,
      )
      if (tabsync) {
        rec(
          {
            name: `tabsync human pace ${q}`,
            path: Path.tabsync,
            unit: ms,
            vs: stockH,
            target: { value: q === 'p50' ? 5 : 15 },
            note: humanNote,
          },
          `tabsync.human.${q}`,
        )
        rec(
          {
            name: `tabsync "saved" ack ${q}`,
            path: Path.tabsync,
            unit: ms,
            note: 'device.run resolves (flushed), human pace',
          },
          `tabsync.saved.${q}`,
        )
        rec(
          {
            name: `tabsync rapid taps ${q}`,
            path: Path.tabsync,
            unit: ms,
            vs: stockR,
            note: rapidNote,
          },
          `tabsync.rapid.${q}`,
        )
      }
      if (syncOnly) {
        rec(
          {
            name: `tabsync sync-only human pace ${q}`,
            path: Path.tabsyncSyncOnly,
            unit: ms,
            vs: bareId,
            note: `${humanNote}; change fast path off (the sync exchange alone)`,
          },
          `synconly.human.${q}`,
        )
        rec(
          {
            name: `tabsync sync-only rapid taps ${q}`,
            path: Path.tabsyncSyncOnly,
            unit: ms,
            vs: bareId,
            note: `${rapidNote}; change fast path off`,
          },
          `synconly.rapid.${q}`,
        )
      }
    }
    for (const p of paths)
      rec({ name: `${p.key} changes lost`, path: p.path, unit: Unit.count }, `${p.key}.lost`)
  },
}
