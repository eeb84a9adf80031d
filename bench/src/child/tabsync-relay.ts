// Child process: the Tabsync relay (@tabsync/relay), as `tabsync-relay serve` would run it.
import * as A from '@automerge/automerge'
import type { DocumentId } from '@automerge/automerge-repo'
import type { RelayLimits, startRelay as StartRelay } from '@tabsync/relay'
import { serve } from './serve.js'

const dataDir = process.env['TABSYNC_BENCH_DIR']
const secret = process.env['TABSYNC_BENCH_SECRET']
if (!dataDir || !secret) throw new Error('TABSYNC_BENCH_DIR and TABSYNC_BENCH_SECRET are required')
// `TABSYNC_BENCH_RELAY_MODULE`: another relay's sources (a baseline commit's, see relay-cost).
const relayModule = process.env['TABSYNC_BENCH_RELAY_MODULE'] ?? '@tabsync/relay'
const { startRelay } = (await import(relayModule)) as { startRelay: typeof StartRelay }
const limits = process.env['TABSYNC_BENCH_LIMITS']
  ? (JSON.parse(process.env['TABSYNC_BENCH_LIMITS']) as Partial<RelayLimits>)
  : undefined
const throttle = process.env['TABSYNC_BENCH_RELAY_SYNC_THROTTLE_MS']
const writeBehind = process.env['TABSYNC_BENCH_RELAY_WRITE_BEHIND_MS']
const relay = await startRelay({
  port: 0,
  dataDir,
  secret,
  logLevel: 'silent',
  ...(limits ? { limits } : {}),
  ...(throttle === undefined ? {} : { syncThrottleMs: Number(throttle) }),
  ...(writeBehind === undefined ? {} : { writeBehindMs: Number(writeBehind) }),
})
serve(
  {
    stats: () => ({
      rssMb: process.memoryUsage().rss / 2 ** 20,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
      handles: Object.keys(relay.repo.handles).length,
      peers: relay.repo.peers.length,
    }),
    /** Frames in and out and storage writes so far (from /metrics): what a window cost in messages. */
    counters: async () => {
      const text = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text()
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN)
      return {
        framesIn: value(/^tabsync_relay_messages_total\{direction="in"\} (\S+)$/m),
        framesOut: value(/^tabsync_relay_messages_total\{direction="out"\} (\S+)$/m),
        storageWrites: value(/^tabsync_relay_storage_write_seconds_count(?:\{\})? (\S+)$/m),
      }
    },
    gc: () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      return {}
    },
    /** How many of `docs` ([documentId, sorted heads joined]) the relay holds at those heads. */
    has: (m) => {
      let n = 0
      for (const [id, heads] of m['docs'] as [DocumentId, string][]) {
        const h = relay.repo.handles[id]
        if (
          h?.isReady() &&
          A.getHeads(h.doc() as A.Doc<unknown>)
            .sort()
            .join() === heads
        )
          n++
      }
      return { count: n }
    },
  },
  { port: relay.port, url: relay.syncUrl },
  () => relay.close(),
)
