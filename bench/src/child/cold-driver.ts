// Child process: a brand-new device (empty storage) of a store whose day is on the relay.
// Reports when the day's open orders are usable and when the whole day is local (flushed).
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { summarizeOrder, type OrderDoc } from '@tabsync/core'
import { findReady, stockClient, whenConnected } from '../peers/stock-repo.js'
import { dirBytes } from '../fixtures/files.js'
import { now } from '../workload.js'
import { serve } from './serve.js'

const FINDS_IN_FLIGHT = 64

interface ColdRequest {
  readonly url: string
  readonly storeUrl: AutomergeUrl
  readonly openUrls: readonly AutomergeUrl[]
  /**
   * The documents holding the day's order references (the store's table-days), which an app on
   * stock automerge-repo would compute or be told; default: the store's table documents.
   */
  readonly refUrls?: readonly AutomergeUrl[]
  readonly dir: string
  /** Stop once the open orders are usable (the whole day is not loaded: no `whole` figure). */
  readonly usableOnly?: boolean
}

interface StoreShape {
  tables: Record<string, { url: string }>
}
interface TableShape {
  orders: Record<string, { url: string; openedAt: string }>
}

/** The stock path: discover the day through store -> tables (or table-days) -> orders, newest first. */
async function stockCold(req: ColdRequest): Promise<Record<string, number>> {
  const t0 = now()
  const repo = stockClient(
    req.url,
    `cold-${process.pid}-${Math.random().toString(36).slice(2)}`,
    req.dir,
  )
  await whenConnected(repo)
  const store = await findReady<StoreShape>(repo, req.storeUrl)
  const tableUrls =
    req.refUrls ?? Object.values(store.doc().tables).map((t) => String(t.url) as AutomergeUrl)
  const tables = await Promise.all(tableUrls.map((u) => findReady<TableShape>(repo, u)))
  const refs = tables
    .flatMap((t) => Object.values(t.doc().orders))
    .sort((a, b) => (String(a.openedAt) < String(b.openedAt) ? 1 : -1))
  const open = new Set(req.openUrls)
  let usable = 0
  let openSeen = 0
  // At most FINDS_IN_FLIGHT finds at once, newest first: 2,000 finds issued together make
  // automerge-repo's own 60 s find timeout fire on a busy 2-core machine.
  let next = 0
  await Promise.all(
    Array.from({ length: FINDS_IN_FLIGHT }, async () => {
      while (next < refs.length && !(req.usableOnly && usable > 0)) {
        const r = refs[next++] as (typeof refs)[number]
        const h = await findReady<OrderDoc>(repo, String(r.url) as AutomergeUrl, 120_000)
        if (open.has(String(r.url) as AutomergeUrl)) {
          summarizeOrder(h.doc())
          if (++openSeen === open.size) usable = now() - t0
        }
      }
    }),
  )
  const loaded = now() - t0
  await repo.flush()
  const whole = now() - t0
  await repo.shutdown().catch(() => {})
  const stored = await dirBytes(req.dir)
  if (openSeen !== open.size) throw new Error(`only ${openSeen}/${open.size} open orders found`)
  return { usable, loaded, whole, orders: refs.length, storedBytes: stored.bytes }
}

const kind = process.env['TABSYNC_BENCH_PATH'] ?? 'stock'
serve(
  {
    cold: async (m) => {
      const req = m as unknown as ColdRequest
      if (kind === 'stock') return stockCold(req)
      const { tabsyncCold } = await import('../paths/tabsync-cold.js')
      return tabsyncCold(req as never)
    },
  },
  { path: kind },
)
