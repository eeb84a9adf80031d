// Child process: the stock automerge-repo relay (peer), optionally with its sync throttle patched.
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { startStockRelay } from '../peers/stock-repo.js'
import { serve } from './serve.js'

const directory = process.env['TABSYNC_BENCH_DIR']
if (!directory) throw new Error('TABSYNC_BENCH_DIR is required')
// Counted as the Tabsync relay counts them (its /metrics), to compare messages and file writes
// per change: repo messages in and out, and storage saves and removals.
const counts = { framesIn: 0, framesOut: 0, storageWrites: 0 }
for (const method of ['save', 'remove'] as const) {
  const original = NodeFSStorageAdapter.prototype[method] as (...args: unknown[]) => Promise<void>
  NodeFSStorageAdapter.prototype[method] = function (this: unknown, ...args: unknown[]) {
    counts.storageWrites++
    return original.apply(this, args)
  } as never
}
const relay = await startStockRelay(directory)
const network = relay.repo.networkSubsystem
network.on('message', () => counts.framesIn++)
const send = network.send.bind(network)
network.send = (message) => {
  counts.framesOut++
  send(message)
}
serve(
  {
    stats: () => ({
      rssMb: process.memoryUsage().rss / 2 ** 20,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
      handles: Object.keys(relay.repo.handles).length,
      peers: relay.repo.peers.length,
    }),
    counters: () => ({ ...counts }),
    gc: () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      return {}
    },
  },
  { port: relay.port, url: `ws://127.0.0.1:${relay.port}` },
  () => relay.close(),
)
