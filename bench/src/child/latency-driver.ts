// Child process: two devices (A writes, B observes) of one path, connected to a relay running in
// another process. Runs latency scenarios on request and returns raw samples.
import { humanPace, rapidTaps } from '../fixtures/latency-scenarios.js'
import type { SyncPair } from '../fixtures/sync-pair.js'
import { stockPair } from '../peers/stock-pair.js'
import { serve } from './serve.js'

const kind = process.env['TABSYNC_BENCH_PATH'] ?? 'stock'
const url = process.env['TABSYNC_BENCH_URL']
if (!url) throw new Error('TABSYNC_BENCH_URL is required')

async function connect(): Promise<SyncPair> {
  if (kind === 'stock') return stockPair(url as string)
  if (kind === 'tabsync') {
    const { tabsyncPair } = await import('../paths/tabsync-pair.js')
    return tabsyncPair(url as string, process.env['TABSYNC_BENCH_TOKEN_SECRET'] ?? '', {
      changeFrames: process.env['TABSYNC_BENCH_CHANGE_FRAMES'] !== '0',
    })
  }
  throw new Error(`unknown path ${kind}`)
}

const pair = await connect()
serve(
  {
    human: async (m) => ({
      ...(await humanPace(
        pair,
        m as unknown as { orders: number; changes: number; intervalMs: number },
      )),
    }),
    rapid: async (m) => ({
      ...(await rapidTaps(pair, m as unknown as { taps: number; intervalMs: number })),
    }),
  },
  { path: pair.label },
  () => pair.close(),
)
