// A runnable tour of @tabsync/sync: a relay (in-process), a back office that creates the store,
// a till that pairs with the store URL and a token, an order taken, fired and paid.
// Run: npx tsx packages/sync/example/quickstart.ts
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { addLine, fire, newId, takePayment } from '@tabsync/core'
import { issueToken, startRelay } from '@tabsync/relay'
import { createStore, openDevice, type Device, type SyncStatus } from '../src/index.js'

/** Resolves once the device's status satisfies `ok`. */
function whenStatus(device: Device, ok: (s: SyncStatus) => boolean): Promise<SyncStatus> {
  return new Promise((resolve) => {
    if (ok(device.status())) return resolve(device.status())
    const off = device.onStatus((s) => {
      if (!ok(s)) return
      off()
      resolve(s)
    })
  })
}

/** Runs the tour; returns what a screen would show at the end. */
export async function quickstart(log: (line: string) => void = console.log) {
  const dir = await mkdtemp(join(tmpdir(), 'tabsync-quickstart-'))
  const secret = 'quickstart-secret-0123456789abcdef'
  const relay = await startRelay({ port: 0, dataDir: join(dir, 'relay'), secret, logLevel: 'warn' })
  // The relay enforces rights per role: only a back office may write the store configuration.
  const token = (deviceId: string) =>
    issueToken({
      secret,
      deviceId,
      storeIds: ['store-1'],
      role: deviceId === 'office' ? 'backoffice' : 'terminal',
    })
  try {
    // Back office, first start: create the store and keep its URL.
    const office = await openDevice({
      deviceId: 'office',
      token: await token('office'),
      endpoints: [relay.syncUrl],
      storage: { directory: join(dir, 'office') },
    })
    const { storeUrl } = await createStore(office, {
      ...demoStoreInit('store-1', () => ''),
      tables: DEMO_TABLES,
    })
    log(`store created: ${storeUrl}`)

    // A till pairs with the store URL and a token only.
    const till = await openDevice({
      deviceId: 'till-1',
      storeUrl,
      token: await token('till-1'),
      endpoints: [relay.syncUrl],
      storage: { directory: join(dir, 'till-1') },
    })
    await till.ready()
    log(
      `till-1 has the store: ${till.store().name}, ${Object.keys(till.store().tables).length} tables`,
    )

    const { url } = await till.openOrder('t4', { guests: 2 }) // resolves once saved on disk
    await till.run(url, (doc, ctx) => {
      addLine(doc, ctx, { itemId: 'steak', modifiers: [{ groupId: 'cooking', optionId: 'rare' }] })
      addLine(doc, ctx, { itemId: 'red', quantity: 2 })
    })
    await till.run(url, (doc, ctx) => fire(doc, ctx))
    const { totals } = await till.orderSummary(url)
    await till.run(url, (doc, ctx) =>
      takePayment(doc, ctx, { key: newId(), tender: 'card', amount: totals.balance }),
    )
    const status = await whenStatus(till, (s) => s.unsynced === 0 && s.lastSyncAt !== null)
    log(
      `till-1: ${status.state}, unsynced ${status.unsynced}, skew ${status.skew?.offsetMs ?? '?'} ms`,
    )

    // The office sees the paid check on today's list.
    const seen = await new Promise<string>((resolve) => {
      const stop = office.watchOrder(url, (s) => {
        if (s.status.status !== 'paid') return
        stop()
        resolve(s.status.status)
      })
    })
    const day = await office.ordersOfDay()
    log(`office: ${day.length} order(s) today, t4 is ${seen}, total ${totals.total} cents`)

    await till.close()
    await office.close()
    return { orders: day.length, status: seen, total: totals.total }
  } finally {
    await relay.close()
    // The relay may still finish a throttled write after close(): retry the removal briefly.
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await quickstart()
