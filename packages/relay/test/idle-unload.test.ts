// Memory stays bounded: idle documents leave the repo's handle cache and come back on demand.
import { afterEach, expect, test } from 'vitest'
import { startRelay, type RunningRelay } from '../src/server.js'
import { findEventually, lineCount, openDevice, until, type TestDoc } from './helpers/devices.js'
import { tempDir, TEST_SECRET } from './helpers/relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
})

async function loadedGauge(relay: RunningRelay): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('tabsync_relay_documents_loaded '))
  return Number(line?.split(' ')[1])
}

test('idle documents are unloaded, counted in /metrics, and reloaded with all their data', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await startRelay({ port: 0, dataDir: data.path, secret: TEST_SECRET, idleUnloadMs: 150 })
  cleanups.push(() => relay.close())

  const till = await openDevice(relay.syncUrl, 'till-1', 'store-a')
  cleanups.push(() => till.close())
  const urls = []
  for (let n = 0; n < 5; n++) {
    const h = till.repo.create<TestDoc>({ storeId: 'store-a', lines: {} })
    for (let i = 0; i < 3; i++) {
      h.change((d) => {
        d.lines[`o${n}-l${i}`] = { item: `dish-${i}`, by: 'till-1' }
      })
    }
    urls.push(h.url)
  }
  await until(async () => (await loadedGauge(relay)) === 5, 'five documents loaded on the relay')
  // Loaded is not synced: wait until the relay holds every line before the till goes away.
  await until(
    () =>
      Object.values(relay.repo.handles).filter(
        (x) => x.isReady() && Object.keys((x.doc() as TestDoc).lines ?? {}).length === 3,
      ).length === 5,
    'relay holds all lines',
  )
  await till.close()

  // Nobody touches them: they leave memory.
  await until(async () => (await loadedGauge(relay)) === 0, 'documents unloaded')
  expect(relay.metrics.value('tabsync_relay_documents_unloaded_total')).toBeGreaterThanOrEqual(5)
  expect(Object.keys(relay.repo.handles)).toEqual([])

  // A later request loads one again, with all its data.
  const reader = await openDevice(relay.syncUrl, 'till-2', 'store-a')
  cleanups.push(() => reader.close())
  const url = urls[2]!
  const h = await findEventually(reader.repo, url, 'a reloaded document')
  await until(() => lineCount(h) === 3, 'all lines of the reloaded document')
  expect(Object.keys(h.doc().lines).sort()).toEqual(['o2-l0', 'o2-l1', 'o2-l2'])
  expect(h.doc().storeId).toBe('store-a')

  // A store-B device still gets nothing after the reload (ownership came back from storage).
  const other = await openDevice(relay.syncUrl, 'b-till', 'store-b')
  cleanups.push(() => other.close())
  await until(() => other.repo.peers.length > 0, 'store-b device connected')
  await expect(other.repo.find<TestDoc>(urls[3]!)).rejects.toThrow(/unavailable/)

  // A write after a reload reaches a peer that synced the document before it was unloaded.
  const writer = await openDevice(relay.syncUrl, 'till-3', 'store-a')
  cleanups.push(() => writer.close())
  const w = await findEventually(writer.repo, url, 'document on a writer')
  await until(() => lineCount(w) === 3, 'writer has the lines')
  await relay.sweepIdle()
  w.change((d) => {
    d.lines.late = { item: 'dessert', by: 'till-3' }
  })
  await until(() => lineCount(h) === 4, 'reader sees the line written after the unload')
})
