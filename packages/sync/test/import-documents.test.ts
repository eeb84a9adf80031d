// A new device handed its store's documents before it opened (the terminal's starter bundle,
// fetched while the app loaded) opens them from the bytes in hand: its first floor reads none of
// them back from storage, they are stored for the next start, and a document the device already
// holds is never replaced by older bytes.
import * as A from '@automerge/automerge'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { addLine } from '@tabsync/core'
import { afterEach, expect, test } from 'vitest'
import { MemoryStorageAdapter, openDevice, type Device } from '../src/index.js'

const devices: Device[] = []
afterEach(async () => {
  for (const d of devices.splice(0).reverse()) await d.close()
})

/** Memory storage that counts the document-chunk reads of each document id. */
function countedStorage(): { storage: StorageAdapterInterface; reads: Map<string, number> } {
  const inner = new MemoryStorageAdapter()
  const reads = new Map<string, number>()
  const note = (key: StorageKey) => {
    const id = key[0]
    if (id !== undefined && key.length <= 2) reads.set(id, (reads.get(id) ?? 0) + 1)
  }
  const storage: StorageAdapterInterface = {
    load: (key) => (note(key), inner.load(key)),
    loadRange: (prefix) => (note(prefix), inner.loadRange(prefix)),
    save: (key, data) => inner.save(key, data),
    remove: (key) => inner.remove(key),
    removeRange: (prefix) => inner.removeRange(prefix),
  }
  return { storage, reads }
}

/** A store with `checks` open checks, one line each, made by a back-office device offline. */
async function storeWithChecks(checks: number) {
  const office = await openDevice({ deviceId: 'office', storage: 'memory' })
  devices.push(office)
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const urls = []
  for (const table of DEMO_TABLES.slice(0, checks)) {
    const { url } = await office.openOrder(table.id, { guests: 2 })
    await office.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' }))
    urls.push(url)
  }
  await office.flush()
  // Every document the office holds, as a relay's bulk answer carries it: one save each.
  const bundle = Object.values(office.repo.handles)
    .filter((h) => h.isReady())
    .map((h) => ({ documentId: h.documentId as string, bytes: A.save(h.doc()) }))
  return { office, storeUrl, urls, bundle }
}

test('documents handed to a new device open without a storage read, and the next start finds them stored', async () => {
  const { storeUrl, urls, bundle } = await storeWithChecks(4)
  const { storage, reads } = countedStorage()
  // As the terminal opens a seeded device: nothing of its own to re-open before its floor.
  const till = await openDevice({ deviceId: 'till-1', storage, storeUrl, reopen: false })
  devices.push(till)

  const taken = await till.importDocuments(bundle)
  expect(taken.sort()).toEqual(bundle.map((d) => d.documentId).sort())
  await till.ready()
  const day = await till.loadDay(undefined, { localOnly: true })
  expect(day.orders.map((o) => o.url).sort()).toEqual([...urls].sort())
  expect(day.orders.every((o) => o.summary.lines.length === 1)).toBe(true)
  const readBack = bundle.filter((d) => (reads.get(d.documentId) ?? 0) > 0)
  expect(readBack.map((d) => d.documentId)).toEqual([])

  // Restarted on the same storage, with nothing handed: every document is there.
  await till.close()
  devices.pop()
  const again = await openDevice({ deviceId: 'till-1', storage, storeUrl })
  devices.push(again)
  await again.ready()
  const stored = await again.loadDay(undefined, { localOnly: true })
  expect(stored.orders.map((o) => o.url).sort()).toEqual([...urls].sort())
  expect(stored.orders.every((o) => o.summary.lines.length === 1)).toBe(true)
})

test('a document the device already stores is left as it is, not replaced by older bytes', async () => {
  const { office, storeUrl, urls, bundle } = await storeWithChecks(1)
  const { storage } = countedStorage()
  // The till has the store and its check, with a second line the bundle does not have.
  const first = await openDevice({ deviceId: 'till-1', storage, storeUrl })
  await first.importDocuments(bundle)
  await first.ready()
  const check = urls[0]!
  await first.run(check, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' }))
  await first.flush()
  await first.close()

  const again = await openDevice({ deviceId: 'till-1', storage, storeUrl })
  devices.push(again)
  const taken = await again.importDocuments(bundle)
  expect(taken).toEqual([])
  await again.ready()
  expect((await again.orderSummary(check)).lines).toHaveLength(2)
  expect((await office.orderSummary(check)).lines).toHaveLength(1)
})
