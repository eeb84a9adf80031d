// A device reopened with its data shows it from storage while its relay never answers: a
// `localOnly` load asks nothing of the network and waits for no peer.
import { createServer, type Socket } from 'node:net'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { addLine } from '@tabsync/core'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type LoadProgress } from '../src/index.js'
import { tempDir } from './relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A TCP server that accepts everything and never answers; records what it was sent. */
async function blackHole(): Promise<{ url: string; received: () => string }> {
  const sockets = new Set<Socket>()
  let received = ''
  const server = createServer((s) => {
    sockets.add(s)
    s.on('data', (b) => (received += b.toString('latin1')))
    s.on('error', () => undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  cleanups.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  })
  return { url: `ws://127.0.0.1:${port}/sync`, received: () => received }
}

test('a localOnly loadDay returns the stored orders while the relay never answers, and sends it nothing', async () => {
  const dir = await tempDir()
  cleanups.push(dir.remove)
  const storage = { directory: dir.path }

  // First run, no network: a store and a check with a line, saved.
  const first = await openDevice({ deviceId: 'till-1', storage })
  const { storeUrl } = await first.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const { url } = await first.openOrder('t4', { guests: 2 })
  await first.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' }))
  await first.flush()
  await first.close()

  // Reopened with a relay that accepts connections and never answers.
  const hole = await blackHole()
  const device = await openDevice({ deviceId: 'till-1', storage, storeUrl, endpoints: [hole.url] })
  cleanups.push(() => device.close())
  await device.ready()
  const progress: LoadProgress[] = []
  const day = await device.loadDay(undefined, {
    localOnly: true,
    onProgress: (p) => progress.push(p),
  })

  expect(day.orders.map((o) => o.url)).toEqual([url])
  expect(day.orders[0]?.summary.lines).toHaveLength(1)
  expect(day.missing).toEqual([])
  expect(day.missingTables).toEqual([])
  const tables = Object.keys(device.store().tables).length
  expect(progress).toContainEqual({ what: 'tables', done: tables, total: tables })
  expect(progress.at(-1)).toEqual({ what: 'orders', done: 1, total: 1 })
  // Nothing was asked over HTTP (no bulk fetch of documents, no /time needed to show them).
  expect(hole.received()).not.toContain('POST /documents')
}, 30_000)
