// Workload 4: a device offline for a 3-hour service (150 orders) reconnects: time until every
// other device (and so the relay) has everything.
import { startChild } from '../child/processes.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { Path, Unit, repeat } from '../figures.js'
import type { BenchContext, Workload } from '../workload.js'

const W = 'reconnect'

export const reconnectWorkload: Workload = {
  name: W,
  summary: 'device offline for a service with 150 orders reconnects: merged everywhere',
  async run(ctx: BenchContext) {
    // Quick mode: a shorter service (the figure's name carries the count).
    const orders = ctx.quick ? 30 : 150
    const relayDir = await ctx.tempDir('reconnect-relay')
    const relay = await startChild('stock-relay', { env: { TABSYNC_BENCH_DIR: relayDir } })
    const env = {
      TABSYNC_BENCH_URL: String(relay.ready['url']),
      TABSYNC_BENCH_ORDERS: String(orders),
    }
    const stock = await startChild('reconnect-driver', {
      env: { ...env, TABSYNC_BENCH_PATH: 'stock' },
    })
    const v = await repeat(ctx.runs, async (run) => {
      ctx.log(`reconnect run ${run + 1}/${ctx.runs}`)
      const r = await stock.request<Record<string, number>>({ type: 'reconnect' }, 300_000)
      return { 'stock.everywhere': r['everywhere'] as number }
    })
    await Promise.all([stock.stop(), relay.stop()])
    let tabsyncValues: number[] | undefined
    try {
      const t = await startTabsyncRelay(ctx)
      const driver = await startChild('reconnect-driver', {
        env: {
          TABSYNC_BENCH_URL: t.url,
          TABSYNC_BENCH_SECRET: t.secret,
          TABSYNC_BENCH_ORDERS: String(orders),
          TABSYNC_BENCH_PATH: 'tabsync',
        },
      })
      const tv = await repeat(ctx.runs, async (run) => {
        ctx.log(`reconnect (tabsync) run ${run + 1}/${ctx.runs}`)
        const r = await driver.request<Record<string, number>>({ type: 'reconnect' }, 300_000)
        return { everywhere: r['everywhere'] as number }
      })
      tabsyncValues = tv['everywhere']
      await Promise.all([driver.stop(), t.relay.stop()])
    } catch (e) {
      ctx.log(`reconnect: Tabsync path failed: ${e instanceof Error ? e.message : String(e)}`)
    }
    ctx.recorder.record(
      W,
      {
        name: `stock merged everywhere after reconnect (${orders} offline orders)`,
        path: Path.stock,
        unit: Unit.ms,
        note: 'offline device announces everything; 2 other devices find the orders through the tables',
      },
      v['stock.everywhere'] as number[],
    )
    if (tabsyncValues) {
      ctx.recorder.record(
        W,
        {
          name: `tabsync merged everywhere after reconnect (${orders} offline orders)`,
          path: Path.tabsync,
          unit: Unit.ms,
          vs: `${W}.stock merged everywhere after reconnect (${orders} offline orders)`,
          ...(ctx.quick ? {} : { target: { value: 2000 } }),
          note: 'from the reconnected socket (proxy accept) to both other devices complete',
        },
        tabsyncValues,
      )
    }
  },
}
