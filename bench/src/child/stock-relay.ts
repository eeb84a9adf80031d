// Child process: the stock automerge-repo relay (peer), optionally with its sync throttle patched.
import { startStockRelay } from '../peers/stock-repo.js'
import { serve } from './serve.js'

const directory = process.env['TABSYNC_BENCH_DIR']
if (!directory) throw new Error('TABSYNC_BENCH_DIR is required')
const relay = await startStockRelay(directory)
serve(
  {
    stats: () => ({
      rssMb: process.memoryUsage().rss / 2 ** 20,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
      handles: Object.keys(relay.repo.handles).length,
      peers: relay.repo.peers.length,
    }),
    gc: () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      return {}
    },
  },
  { port: relay.port, url: `ws://127.0.0.1:${relay.port}` },
  () => relay.close(),
)
