// Child process: a device that was offline for a service (N orders made offline) reconnects;
// two other devices of the store follow the tables. Reports when both other devices have every
// order complete (the relay necessarily has them first: the devices only meet through it).
import * as A from '@automerge/automerge'
import {
  Repo,
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type PeerId,
} from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { attachOrder, decode, initTableDoc, type TableDoc } from '@tabsync/core'
import { cachedDay, type Day } from '../fixtures/day.js'
import { until } from '../fixtures/schedule.js'
import { follow } from '../fixtures/follow.js'
import { findReady, stockClient, whenConnected } from '../peers/stock-repo.js'
import { now } from '../workload.js'
import { serve } from './serve.js'

const kind = process.env['TABSYNC_BENCH_PATH'] ?? 'stock'
const relayUrl = process.env['TABSYNC_BENCH_URL'] as string

async function stockRun(service: Day): Promise<Record<string, number>> {
  const tag = Math.random().toString(36).slice(2, 8)
  // Before the outage: the store exists on the relay and on every device.
  const o1 = stockClient(relayUrl, `o1-${tag}`)
  const o2 = stockClient(relayUrl, `o2-${tag}`)
  await Promise.all([whenConnected(o1), whenConnected(o2)])
  // The store document as the day has it; the tables as they were before the service (empty).
  const storeId = service.storeUrl.slice('automerge:'.length) as DocumentId
  const storeBytes = service.docs.get(storeId) as Uint8Array
  o1.import(storeBytes, { docId: storeId })
  const store = decode<{ storeId: string; tables: Record<string, { id: string; url: string }> }>(
    A.load(storeBytes) as never,
  )
  const tableIds = Object.values(store.tables).map((t) => t.url as AutomergeUrl)
  for (const t of Object.values(store.tables)) {
    const empty = A.from(initTableDoc(store.storeId, t.id) as unknown as Record<string, unknown>)
    o1.import(A.save(empty), { docId: t.url.slice('automerge:'.length) as DocumentId })
  }
  await o1.flush()
  const t1 = await Promise.all(tableIds.map((u) => findReady<TableDoc>(o1, u)))
  const t2 = await Promise.all(tableIds.map((u) => findReady<TableDoc>(o2, u)))
  // The device that goes offline has the same store and tables.
  const off = new Repo({ network: [], peerId: `off-${tag}` as PeerId })
  for (const h of t1) off.import(A.save(h.doc()), { docId: h.documentId })
  const offTables = new Map(
    tableIds.map((u) => [
      u,
      off.handles[u.slice('automerge:'.length) as DocumentId] as DocHandle<TableDoc>,
    ]),
  )

  // The service, offline: every order created on `off` and attached to its table.
  const expected = new Map<string, string>()
  for (const url of service.orderUrls) {
    const id = url.slice('automerge:'.length) as DocumentId
    const bytes = service.docs.get(id) as Uint8Array
    off.import(bytes, { docId: id })
    expected.set(url, A.getHeads(A.load(bytes)).sort().join())
  }
  for (const u of tableIds) {
    const refs = decode<{ orders: Record<string, unknown> }>(
      A.load(service.docs.get(u.slice('automerge:'.length) as DocumentId) as Uint8Array) as never,
    ).orders
    const t = offTables.get(u) as DocHandle<TableDoc>
    for (const ref of Object.values(refs)) t.change((d) => attachOrder(d, ref as never))
  }
  const f1 = follow(o1, t1, expected)
  const f2 = follow(o2, t2, expected)

  const t0 = now()
  off.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(relayUrl))
  const ok = await until(() => f1.done() && f2.done(), 120_000, 5)
  const everywhere = now() - t0
  if (!ok)
    throw new Error(
      `reconnect: only ${f1.count()}/${f2.count()} of ${expected.size} orders arrived`,
    )
  await Promise.all([off, o1, o2].map((r) => r.shutdown().catch(() => {})))
  return { everywhere, orders: expected.size }
}

const service = await cachedDay({
  orders: Number(process.env['TABSYNC_BENCH_ORDERS'] ?? 150),
  open: 20,
})
serve(
  {
    reconnect: async () => {
      if (kind === 'stock') return stockRun(service)
      const { tabsyncReconnect } = await import('../paths/tabsync-reconnect.js')
      return tabsyncReconnect(relayUrl, process.env['TABSYNC_BENCH_SECRET'] ?? '', service)
    },
  },
  { path: kind },
)
