// Workload 6: fire -> ticket bytes at the (fake) kitchen printer, through @tabsync/printer.
import { startChild, type Child } from '../child/processes.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { Path, Unit, repeat } from '../figures.js'
import { distribution } from '../stats.js'
import type { BenchContext, Workload } from '../workload.js'

const W = 'print'

export const printWorkload: Workload = {
  name: W,
  summary: 'fire -> ESC/POS bytes at a fake printer: bridge on the till, and through a relay',
  async run(ctx: BenchContext) {
    const count = ctx.quick ? 8 : 60
    const gapMs = 150
    const local = await startChild('print-driver', { env: { TABSYNC_BENCH_PATH: 'local' } })
    const relayDir = await ctx.tempDir('print-relay')
    const relay = await startChild('stock-relay', { env: { TABSYNC_BENCH_DIR: relayDir } })
    const viaStock = await startChild('print-driver', {
      env: { TABSYNC_BENCH_PATH: 'stock', TABSYNC_BENCH_URL: String(relay.ready['url']) },
    })
    let viaTabsync: Child | undefined
    let tabsyncRelay: Child | undefined
    try {
      const t = await startTabsyncRelay(ctx)
      tabsyncRelay = t.relay
      viaTabsync = await startChild('print-driver', {
        env: {
          TABSYNC_BENCH_PATH: 'tabsync',
          TABSYNC_BENCH_URL: t.url,
          TABSYNC_BENCH_SECRET: t.secret,
        },
      })
    } catch (e) {
      ctx.log(`print: Tabsync path unavailable: ${e instanceof Error ? e.message : String(e)}`)
    }
    const drivers: [string, Child][] = [
      ['local', local],
      ['stock', viaStock],
      ...(viaTabsync ? ([['tabsync', viaTabsync]] as [string, Child][]) : []),
    ]
    const v = await repeat(ctx.runs, async (run) => {
      ctx.log(`print run ${run + 1}/${ctx.runs}`)
      const m: Record<string, number> = {}
      for (const [key, child] of drivers) {
        const r = await child.request<{ samples: number[] }>(
          { type: 'fires', count, gapMs },
          180_000,
        )
        const d = distribution(r.samples)
        m[`${key}.p50`] = d.p50
        m[`${key}.p99`] = d.p99
      }
      return m
    })
    await Promise.all([
      local.stop(),
      viaStock.stop(),
      relay.stop(),
      viaTabsync?.stop(),
      tabsyncRelay?.stop(),
    ])
    for (const q of ['p50', 'p99'] as const) {
      const l = ctx.recorder.record(
        W,
        {
          name: `fire -> printer bytes, bridge on the till ${q}`,
          path: Path.floor,
          unit: Unit.ms,
          note: '@tabsync/printer over the firing repo; no network',
        },
        v[`local.${q}`] as number[],
      )
      const s = ctx.recorder.record(
        W,
        {
          name: `fire -> printer bytes via stock relay ${q}`,
          path: Path.stock,
          unit: Unit.ms,
          vs: l,
          note: 'till -> stock relay -> bridge repo -> printer',
        },
        v[`stock.${q}`] as number[],
      )
      if (viaTabsync) {
        ctx.recorder.record(
          W,
          {
            name: `fire -> printer bytes via Tabsync relay ${q}`,
            path: Path.tabsync,
            unit: Unit.ms,
            vs: s,
            note: 'till device -> Tabsync relay -> bridge device -> printer',
          },
          v[`tabsync.${q}`] as number[],
        )
      }
    }
  },
}
