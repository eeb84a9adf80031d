// The summary cache with several writers on one storage (issue 15): two tabs of one browser
// share one IndexedDB (same device id), each with its own repo and its own cache. A digest the
// cache serves from storage must equal a fresh derivation of the document as stored, whoever
// wrote its chunks and whatever either writer had loaded.
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo/slim'
import {
  addLine,
  createHybridClock,
  decode,
  digestOrder,
  initStoreDoc,
  openOrder,
  summarizeOrder,
  type CommandContext,
  type OrderDoc,
  type StoreData,
} from '@tabsync/core'
import { demoStoreInit } from '@tabsync/core/demo'
import { expect, test } from 'vitest'
import { SummaryCache } from '../src/device/summary-cache.js'
import { MemoryStorageAdapter } from '../src/storage/memory-storage.js'
import { storedDigest } from './stored-digest.js'

const store = decode<StoreData>(initStoreDoc(demoStoreInit('store-1', (t) => `automerge:${t}`)))
const ctx = (deviceId: string): CommandContext => ({
  deviceId,
  clock: createHybridClock({ node: deviceId }),
  store,
})

test('an entry written by a tab that has not loaded another tab’s saved change is not served for the stored document', async () => {
  const storage = new MemoryStorageAdapter()
  // Tab A opens a check and adds a line; both tabs have it loaded.
  const tabA = new Repo({ storage, network: [] })
  const opened = openOrder(ctx('till'), { tableId: 't1', guests: 2 })
  const handleA = tabA.import<OrderDoc>(A.save(A.from(opened.doc as never)))
  handleA.change((d) => void addLine(d, ctx('till'), { itemId: 'soup' }))
  await tabA.flush()
  const id = handleA.documentId
  const tabB = new Repo({ storage, network: [] })
  const handleB = await tabB.find<OrderDoc>(handleA.url)
  // Tab B adds a line and saves it; tab A never hears of it (no channel between the repos).
  handleB.change((d) => void addLine(d, ctx('till'), { itemId: 'pasta', quantity: 3 }))
  await tabB.flush()
  // Tab A writes its cache entry (its document lacks B's line; its chunks read back hold it).
  const cacheA = new SummaryCache(storage, tabA, { delayMs: 1 })
  cacheA.touched(handleA as DocHandle<OrderDoc>)
  await cacheA.flush()
  // A cold start reads the cache: whatever it serves is the document as stored.
  const reader = new SummaryCache(storage, new Repo({ network: [] }))
  const served = await reader.fromStorage([id], businessDateOf(handleA))
  const stored = await storedDigest(storage, id)
  expect(stored?.totals.total).toBeGreaterThan(
    digestOrder(summarizeOrder(handleA.doc())).totals.total,
  )
  // Served (the entry is of the chunks it names) and right.
  expect(served.get(id)).toEqual(stored)
  await Promise.all([tabA.shutdown(), tabB.shutdown()])
})

function businessDateOf(handle: DocHandle<OrderDoc>): string {
  return String(handle.doc().businessDate)
}
