// The summary cache with several writers on one storage (issue 15): two tabs of one browser
// share one IndexedDB (same device id), each with its own repo and its own cache. A digest the
// cache serves from storage must equal a fresh derivation of the document as stored, whoever
// wrote its chunks and whatever either writer had loaded, through crashes at any point.
import { createHash } from 'node:crypto'
import * as A from '@automerge/automerge'
import {
  Repo,
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type StorageAdapterInterface,
  type StorageKey,
} from '@automerge/automerge-repo/slim'
import fc from 'fast-check'
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
import { assertProperty, createCrashableStorage, fuzzRuns } from '../src/testing/index.js'
import { SummaryCache } from '../src/device/summary-cache.js'
import { RepoChunks } from '../src/docs/repo-chunks.js'
import { listKeys } from '../src/storage/key-listing.js'
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

test('an entry of an order whose stored chunks are all its repo’s is written from the handle, without reading the order back, and served right', async () => {
  const { storage, repoChunks, repo, handle } = orderOnRepoChunks()
  const cache = new SummaryCache(storage, repo, { delayMs: 1, repoChunks })
  cache.touched(handle)
  await cache.flush()
  expect(cache.stats).toMatchObject({ written: 1, writtenFromRepoChunks: 1 })
  const served = await servedAtColdStart(storage, handle)
  expect(served).toEqual(await storedDigest(storage, handle.documentId))
  await repo.shutdown()
})

test('another writer’s chunk saved after the repo’s flush, before the entry is written, is read back: the entry is of the stored order, not of the handle', async () => {
  const { storage, repoChunks, repo: tabA, handle: handleA } = orderOnRepoChunks()
  await tabA.flush()
  const id = handleA.documentId
  // Another tab (same storage, no channel to A) adds a line and saves it as an incremental
  // chunk beside A's, as automerge-repo names it; the save lands once A's cache write has begun:
  // when it lists the order's chunks, after A's own flush.
  const other = A.change(A.clone(handleA.doc()), (d) => {
    addLine(d, ctx('till'), { itemId: 'pasta', quantity: 3 })
  })
  const bytes = A.saveSince(other, A.getHeads(handleA.doc()))
  const otherKey = [id, 'incremental', createHash('sha256').update(bytes).digest('hex')]
  let saved = false
  const racing = beforeListing(storage, id, async () => {
    saved = true
    await storage.save(otherKey, bytes)
  })
  const cacheA = new SummaryCache(racing, tabA, { delayMs: 1, repoChunks })
  cacheA.touched(handleA)
  await cacheA.flush()
  expect(saved).toBe(true)
  expect(cacheA.stats).toMatchObject({ written: 1, writtenFromRepoChunks: 0 })
  const stored = await storedDigest(storage, id)
  expect(stored?.totals.total).toBeGreaterThan(
    digestOrder(summarizeOrder(handleA.doc())).totals.total,
  )
  expect(await servedAtColdStart(storage, handleA)).toEqual(stored)
  await tabA.shutdown()
})

test('an order changed after the repo’s flush, before the entry is written, is not written from the handle: the entry is of the stored order', async () => {
  const { storage, repoChunks, repo, handle } = orderOnRepoChunks()
  await repo.flush()
  const id = handle.documentId
  // A line added while the cache lists the order's chunks: the repo's save of it comes later.
  const racing = beforeListing(storage, id, async () => {
    handle.change((d) => void addLine(d, ctx('till'), { itemId: 'pasta', quantity: 3 }))
  })
  const cache = new SummaryCache(racing, repo, { delayMs: 1, repoChunks })
  cache.touched(handle)
  await cache.flush()
  expect(cache.stats).toMatchObject({ written: 1, writtenFromRepoChunks: 0 })
  // The entry (read before the repo saves the new line) is of the order as stored.
  const served = await servedAtColdStart(storage, handle)
  expect(served).toEqual(await storedDigest(storage, id))
  expect(served).not.toEqual(digestOrder(summarizeOrder(handle.doc())))
  await repo.shutdown()
})

/** A check with a line, opened on a repo whose storage goes through RepoChunks (as a device's). */
function orderOnRepoChunks() {
  const storage = new MemoryStorageAdapter()
  const repoChunks = new RepoChunks(storage)
  const repo = new Repo({ storage: repoChunks, network: [] })
  const handle = repo.import<OrderDoc>(
    A.save(A.from(openOrder(ctx('till'), { tableId: 't1', guests: 2 }).doc as never)),
  )
  handle.change((d) => void addLine(d, ctx('till'), { itemId: 'soup' }))
  return { storage, repoChunks, repo, handle }
}

/** The digest a fresh cache (a cold start) serves for `handle`'s order from `storage`. */
async function servedAtColdStart(storage: StorageAdapterInterface, handle: DocHandle<OrderDoc>) {
  const reader = new SummaryCache(storage, new Repo({ network: [] }))
  const served = await reader.fromStorage([handle.documentId], businessDateOf(handle))
  return served.get(handle.documentId)
}

/** `storage`, running `before` once, when the chunks of `id` are first listed. */
function beforeListing(
  storage: MemoryStorageAdapter,
  id: DocumentId,
  before: () => Promise<void>,
): StorageAdapterInterface & { listKeys(prefix: StorageKey): Promise<StorageKey[]> } {
  let done = false
  return {
    load: (key) => storage.load(key),
    save: (key, data) => storage.save(key, data),
    remove: (key) => storage.remove(key),
    loadRange: (prefix) => storage.loadRange(prefix),
    removeRange: (prefix) => storage.removeRange(prefix),
    listKeys: async (prefix) => {
      if (!done && prefix[0] === id) {
        done = true
        await before()
      }
      return storage.listKeys(prefix)
    },
  }
}

function businessDateOf(handle: DocHandle<OrderDoc>): string {
  return String(handle.doc().businessDate)
}

type Step =
  | { kind: 'open'; w: number }
  | { kind: 'find'; w: number; order: number }
  | { kind: 'add'; w: number; order: number; qty: number }
  | { kind: 'flushRepo'; w: number }
  | { kind: 'flushCache'; w: number }
  | { kind: 'closeTab'; w: number }
  | { kind: 'crash' }
  | { kind: 'coldStart' }

const w = fc.nat(1)
const order = fc.nat(5)
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('open' as const), w }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('find' as const), w, order }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      w,
      order,
      qty: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flushRepo' as const), w }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flushCache' as const), w }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('closeTab' as const), w }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('coldStart' as const) }) },
)

interface Tab {
  repo: Repo
  cache: SummaryCache
  handles: Map<AutomergeUrl, DocHandle<OrderDoc>>
}

/** Business days the cache holds blobs of (a reader asks per day). */
async function cachedDates(storage: StorageAdapterInterface): Promise<string[]> {
  const keys = await listKeys(storage, ['tabsync-summaries'])
  return [...new Set(keys.map((k) => k[1]!))]
}

/**
 * A cold start on the storage as it is: every digest a fresh cache serves equals core's digest of
 * the document stored there. Returns how many were served.
 */
async function coldStart(storage: StorageAdapterInterface, urls: readonly AutomergeUrl[]) {
  const ids = urls.map((u) => u.slice('automerge:'.length) as DocumentId)
  const reader = new SummaryCache(storage, new Repo({ network: [] }))
  let served = 0
  for (const date of await cachedDates(storage)) {
    for (const [id, digest] of await reader.fromStorage(ids, date)) {
      expect(digest, `digest served for ${id}`).toEqual(await storedDigest(storage, id))
      served++
    }
  }
  return served
}

/** The tab's handle of `url`, found in storage if it has none yet (undefined: not stored). */
async function load(t: Tab, url: AutomergeUrl): Promise<DocHandle<OrderDoc> | undefined> {
  const known = t.handles.get(url)
  if (known) return known
  try {
    const handle = await t.repo.find<OrderDoc>(url)
    t.handles.set(url, handle)
    t.cache.touched(handle)
    return handle
  } catch {
    return undefined // not stored yet (or lost in a crash): this tab cannot have it
  }
}

async function twoTabs(steps: readonly Step[]): Promise<number> {
  const disk = createCrashableStorage({ minWriteMs: 0, maxWriteMs: 3 })
  const urls: AutomergeUrl[] = []
  const tab = (): Tab => {
    // As a device builds them: the repo's chunks noted (the cache's write without reading back).
    const repoChunks = new RepoChunks(disk.adapter())
    const repo = new Repo({ storage: repoChunks, network: [] })
    // A long debounce: entries are written when the test says (flushCache), or never.
    return {
      repo,
      cache: new SummaryCache(disk.adapter(), repo, { delayMs: 60_000, repoChunks }),
      handles: new Map(),
    }
  }
  let tabs = [tab(), tab()]
  let served = 0
  try {
    for (const s of steps) {
      const t = 'w' in s ? tabs[s.w]! : undefined
      const url = 'order' in s ? urls[s.order % Math.max(1, urls.length)] : undefined
      switch (s.kind) {
        case 'open': {
          const opened = openOrder(ctx('till'), { tableId: 't1', guests: 2 })
          const handle = t!.repo.import<OrderDoc>(A.save(A.from(opened.doc as never)))
          t!.handles.set(handle.url, handle)
          t!.cache.touched(handle)
          urls.push(handle.url)
          break
        }
        case 'find':
          if (url) await load(t!, url)
          break
        case 'add': {
          // A tab works on a check it has not open yet by opening it first, as staff would.
          const handle = url ? await load(t!, url) : undefined
          if (handle) {
            handle.change((d) => void addLine(d, ctx('till'), { itemId: 'soup', quantity: s.qty }))
            t!.cache.touched(handle)
          }
          break
        }
        case 'flushRepo':
          // The ready ones: a find that failed leaves a handle flush() rejects on.
          await t!.repo.flush([...t!.handles.values()].map((h) => h.documentId))
          break
        case 'flushCache':
          await t!.cache.flush()
          break
        case 'closeTab':
          // Closed without writing its pending cache entries (the tab was killed).
          await t!.cache.close(false)
          void t!.repo.shutdown().catch(() => undefined)
          tabs[s.w] = tab()
          break
        case 'crash':
          // Power loss: writes in flight are lost; both tabs start again on what is on disk.
          for (const old of tabs) await old.cache.close(false)
          disk.crash()
          tabs = [tab(), tab()]
          break
        case 'coldStart':
          served += await coldStart(disk.adapter(), urls)
          break
      }
    }
    for (const t of tabs) await t.cache.flush()
    served += await coldStart(disk.adapter(), urls)
    return served
  } finally {
    for (const t of tabs) await t.cache.close(false)
  }
}

test(
  `two tabs on one storage, random changes, flushes, tab kills and power losses: every digest served at a cold start equals the stored document's (${fuzzRuns(20)} runs)`,
  async () => {
    let served = 0
    await assertProperty(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40 }), async (steps) => {
        served += await twoTabs(steps)
      }),
      { runs: 20 },
    )
    // The property checked served entries, not an empty cache.
    expect(served).toBeGreaterThan(0)
  },
  fuzzRuns(20) * 20_000,
)
