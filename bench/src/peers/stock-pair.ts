// The stock SyncPair: two plain Repo clients through a stock relay.
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import type { CommandContext, OrderDoc } from '@tabsync/core'
import { commandContext, newOrder } from '../fixtures/orders.js'
import type { SyncPair } from '../fixtures/sync-pair.js'
import { findReady, stockClient, whenConnected } from './stock-repo.js'

/** Connects two stock clients to the relay at `url`. */
export async function stockPair(url: string, label = 'stock-repo'): Promise<SyncPair> {
  const a: Repo = stockClient(url, `bench-a-${process.pid}`)
  const b: Repo = stockClient(url, `bench-b-${process.pid}`)
  await Promise.all([whenConnected(a), whenConnected(b)])
  const ctx = commandContext('till-a')
  const handlesA = new Map<string, DocHandle<OrderDoc>>()
  const handlesB = new Map<string, DocHandle<OrderDoc>>()
  return {
    label,
    ctx,
    async createOrders(n) {
      const urls: AutomergeUrl[] = []
      for (let i = 0; i < n; i++) {
        const h = a.create<OrderDoc>(newOrder(ctx, `t${(i % 8) + 1}`))
        handlesA.set(h.url, h)
        urls.push(h.url)
      }
      await Promise.all(
        urls.map(async (u) => {
          const h = await findReady<OrderDoc>(b, u)
          handlesB.set(u, h)
        }),
      )
      return urls
    },
    observe(u) {
      const h = handlesB.get(u)
      if (!h) throw new Error(`B has not opened ${u}`)
      return h
    },
    change(u: AutomergeUrl, command: (doc: OrderDoc, ctx: CommandContext) => void): void {
      const h = handlesA.get(u)
      if (!h) throw new Error(`A has not created ${u}`)
      h.change((d) => command(d, ctx))
    },
    savedAcks: () => [],
    async close() {
      await Promise.all([a.shutdown().catch(() => {}), b.shutdown().catch(() => {})])
    },
  }
}
