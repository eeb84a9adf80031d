// Child process: one node of a Tabsync relay cluster (@tabsync/relay with PostgreSQL storage and
// store leases), as `tabsync-relay serve --postgres ...` would run it.
import { startRelay } from '@tabsync/relay'
import { serve } from './serve.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}
// No process-wide rejection handler: startRelay observes its own storage failures (a write
// refused after a lease moved is logged, counted and kept), as any embedding relies on.
const port = Number(env('TABSYNC_BENCH_PORT'))
const relay = await startRelay({
  port,
  dataDir: env('TABSYNC_BENCH_DIR'),
  secret: env('TABSYNC_BENCH_SECRET'),
  // `TABSYNC_BENCH_NODE_LOG=info` (or debug) shows the nodes' pino lines on stderr (diagnosis).
  logLevel: (process.env['TABSYNC_BENCH_NODE_LOG'] ?? 'silent') as 'silent',
  cluster: {
    postgres: env('TABSYNC_BENCH_POSTGRES'),
    nodeId: env('TABSYNC_BENCH_NODE_ID'),
    // Its own URL: known before it starts (fixed port), so other nodes can send clients here.
    advertise: `ws://127.0.0.1:${port}/sync`,
    leaseMs: Number(env('TABSYNC_BENCH_LEASE_MS')),
  },
})
serve(
  {
    stats: () => ({
      rssMb: process.memoryUsage().rss / 2 ** 20,
      stores: relay.cluster?.leases.heldStores().length ?? 0,
      peers: relay.repo.peers.length,
    }),
  },
  { port: relay.port, url: relay.syncUrl },
  () => relay.close(),
)
