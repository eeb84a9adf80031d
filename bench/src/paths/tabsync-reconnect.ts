// The Tabsync reconnect scenario: three @tabsync/sync devices of one store. One loses the
// network (a TCP proxy cuts it) for the service, takes N orders offline, and gets the network
// back; its own link reconnects (with its backoff). Measured from the moment the proxy accepts
// its new connection until both other devices have every order complete.
import * as A from '@automerge/automerge'
import type { AutomergeUrl, DocHandle, DocumentId } from '@automerge/automerge-repo'
import { attachOrder, decode, initTableDoc, type TableDoc } from '@tabsync/core'
import type { Day } from '../fixtures/day.js'
import { follow } from '../fixtures/follow.js'
import { until } from '../fixtures/schedule.js'
import { startTcpProxy } from '../fixtures/tcp-proxy.js'
import { findReady } from '../peers/stock-repo.js'
import { now } from '../workload.js'
import { tabsyncDevice, whenDeviceOnline } from './tabsync-pair.js'

const idOf = (u: string) => u.slice('automerge:'.length) as DocumentId

/** One reconnect run against the relay at `relayUrl` (`ws://127.0.0.1:port/sync`). */
export async function tabsyncReconnect(
  relayUrl: string,
  secret: string,
  service: Day,
): Promise<Record<string, number>> {
  const storeBytes = service.docs.get(idOf(service.storeUrl)) as Uint8Array
  const store = decode<{ storeId: string; tables: Record<string, { id: string; url: string }> }>(
    A.load(storeBytes) as never,
  )
  const tableUrls = Object.values(store.tables).map((t) => t.url as AutomergeUrl)
  const tag = Math.random().toString(36).slice(2, 8)
  // Before the service: the store and its (empty) tables exist on the relay and every device.
  const o1 = await tabsyncDevice(relayUrl, secret, `o1-${tag}`, [store.storeId], { reopen: false })
  await whenDeviceOnline(o1)
  const seed = new Map<DocumentId, Uint8Array>([[idOf(service.storeUrl), storeBytes]])
  for (const t of Object.values(store.tables)) {
    seed.set(
      idOf(t.url),
      A.save(A.from(initTableDoc(store.storeId, t.id) as unknown as Record<string, unknown>)),
    )
  }
  for (const [id, bytes] of seed) o1.repo.import(bytes, { docId: id })
  const o2 = await tabsyncDevice(relayUrl, secret, `o2-${tag}`, [store.storeId], {
    storeUrl: service.storeUrl,
  })
  await o2.ready()
  const port = Number(new URL(relayUrl).port)
  const proxy = await startTcpProxy(port)
  const off = await tabsyncDevice(
    relayUrl.replace(`:${port}`, `:${proxy.port}`),
    secret,
    `off-${tag}`,
    [store.storeId],
    {
      storeUrl: service.storeUrl,
      backoff: { initialMs: 100, maxMs: 1000 },
    },
  )
  await off.ready()
  const t1 = await Promise.all(tableUrls.map((u) => findReady<TableDoc>(o1.repo, u)))
  const t2 = await Promise.all(tableUrls.map((u) => findReady<TableDoc>(o2.repo, u)))
  await Promise.all(tableUrls.map((u) => findReady<TableDoc>(off.repo, u)))

  // The outage: the service happens on `off` alone.
  proxy.setOnline(false)
  await until(() => off.repo.peers.length === 0, 10_000)
  const expected = new Map<string, string>()
  for (const url of service.orderUrls) {
    const bytes = service.docs.get(idOf(url)) as Uint8Array
    off.repo.import(bytes, { docId: idOf(url) })
    expected.set(url, A.getHeads(A.load(bytes)).sort().join())
  }
  for (const u of tableUrls) {
    const refs = decode<{ orders: Record<string, unknown> }>(
      A.load(service.docs.get(idOf(u)) as Uint8Array) as never,
    ).orders
    for (const ref of Object.values(refs))
      await off.run<void, TableDoc>(u, (t) => attachOrder(t, ref as never))
  }
  const f1 = follow(o1.repo, t1 as DocHandle<TableDoc>[], expected)
  const f2 = follow(o2.repo, t2 as DocHandle<TableDoc>[], expected)

  const connected = proxy.nextConnection()
  proxy.setOnline(true)
  const t0 = await connected
  const ok = await until(() => f1.done() && f2.done(), 120_000, 5)
  const everywhere = now() - t0
  await Promise.all([off.close(), o1.close(), o2.close()])
  await proxy.close()
  if (!ok)
    throw new Error(
      `tabsync reconnect: only ${f1.count()}/${f2.count()} of ${expected.size} orders arrived`,
    )
  return { everywhere, orders: expected.size }
}
