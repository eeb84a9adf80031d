// The Tabsync SyncPair: two @tabsync/sync devices (memory storage, like the stock clients)
// through a Tabsync relay, each with its own token. A creates the store and the orders.
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { type CommandContext, type DeviceRole, type OrderDoc } from '@tabsync/core'
import { openDevice, type Device } from '@tabsync/sync'
import { issueToken } from '@tabsync/relay'
import type { SyncPair } from '../fixtures/sync-pair.js'
import { findReady } from '../peers/stock-repo.js'
import { now } from '../workload.js'

/** Opens a Tabsync device of `storeIds` on the relay at `url`. */
export async function tabsyncDevice(
  url: string,
  secret: string,
  deviceId: string,
  storeIds: readonly string[],
  extra: Partial<Parameters<typeof openDevice>[0]> = {},
  // The relay enforces rights per role: a device that creates the store is a back office.
  role: DeviceRole = 'terminal',
): Promise<Device> {
  const token = await issueToken({ secret, deviceId, storeIds, role })
  return openDevice({ deviceId, token, endpoints: [url], storage: 'memory', ...extra })
}

/** Resolves when the device has an upstream peer (the relay). */
export async function whenDeviceOnline(device: Device, timeoutMs = 15_000): Promise<void> {
  if (device.repo.peers.length > 0) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${device.deviceId}: no relay after ${timeoutMs} ms`)),
      timeoutMs,
    )
    const off = device.onStatus(() => {
      if (device.repo.peers.length === 0) return
      clearTimeout(timer)
      off()
      resolve()
    })
    if (device.repo.peers.length > 0) {
      clearTimeout(timer)
      off()
      resolve()
    }
  })
}

/**
 * Resolves when the relay confirmed every local change of `device` (status `unsynced` is 0).
 * The bench waits for this before a second device asks for new documents, so that B's first
 * find does not race A's upload (B would then wait for its find backoff, not for the network).
 */
export async function whenSynced(device: Device, timeoutMs = 30_000): Promise<void> {
  const end = now() + timeoutMs
  while (device.status().unsynced > 0) {
    if (now() > end)
      throw new Error(
        `${device.deviceId}: ${device.status().unsynced} documents unsynced after ${timeoutMs} ms`,
      )
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Two Tabsync devices through a Tabsync relay. */
export async function tabsyncPair(
  url: string,
  secret: string,
  options: { changeFrames?: boolean } = {},
): Promise<SyncPair> {
  const storeId = `store-${Math.random().toString(36).slice(2, 8)}`
  const extra = options.changeFrames === undefined ? {} : { changeFrames: options.changeFrames }
  const a = await tabsyncDevice(url, secret, 'till-a', [storeId], extra, 'backoffice')
  await whenDeviceOnline(a)
  const { storeUrl } = await a.createStore({
    ...demoStoreInit(storeId, () => ''),
    tables: [...DEMO_TABLES],
  })
  await whenSynced(a)
  const b = await tabsyncDevice(url, secret, 'till-b', [storeId], { storeUrl, ...extra })
  await b.ready()
  const ctx: CommandContext = a.context()
  const handlesB = new Map<string, DocHandle<OrderDoc>>()
  const acks: number[] = []
  let n = 0
  return {
    label: 'tabsync',
    ctx,
    async createOrders(count) {
      const urls: AutomergeUrl[] = []
      for (let i = 0; i < count; i++) {
        const { url: u } = await a.openOrder(DEMO_TABLES[n++ % DEMO_TABLES.length]?.id as string, {
          guests: 2,
        })
        urls.push(u)
      }
      await whenSynced(a)
      await Promise.all(
        urls.map(async (u) => handlesB.set(u, await findReady<OrderDoc>(b.repo, u))),
      )
      return urls
    },
    observe(u) {
      const h = handlesB.get(u)
      if (!h) throw new Error(`B has not opened ${u}`)
      return h
    },
    change(u: AutomergeUrl, command: (doc: OrderDoc, ctx: CommandContext) => void): void {
      const t0 = now()
      a.run(u, (d, c) => command(d, c)).then(
        () => acks.push(now() - t0),
        (e: unknown) => process.stderr.write(`tabsync change failed: ${String(e)}\n`),
      )
    },
    savedAcks: () => acks.splice(0),
    async close() {
      await Promise.all([a.close(), b.close()])
    },
  }
}
