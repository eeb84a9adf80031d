import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { expect, test, vi } from 'vitest'
import { RepoChunks } from '../docs/repo-chunks.js'
import { ClosableStorage } from './closable-storage.js'
import { listDocumentKeys, listKeys } from './key-listing.js'
import { MemoryStorageAdapter } from './memory-storage.js'

const sorted = (keys: StorageKey[]) => keys.map((k) => k.join('/')).sort()

async function fill(storage: StorageAdapterInterface): Promise<void> {
  const bytes = new Uint8Array([1, 2, 3])
  await storage.save(['4xyzDocA', 'incremental', 'a'.repeat(64)], bytes)
  await storage.save(['4xyzDocA', 'snapshot', 'b'.repeat(64)], bytes)
  await storage.save(['4xyzDocA', 'sync-state', 'peer'], bytes)
  await storage.save(['5otherDoc', 'incremental', 'c'.repeat(64)], bytes)
  await storage.save(['tabsync-summaries', '2026-12-03', 'w1'], bytes)
}

/** `inner` behind the storage interface alone: no key listing of its own, no known shape. */
function plainAdapter(inner: StorageAdapterInterface): StorageAdapterInterface {
  return {
    load: (k) => inner.load(k),
    save: (k, d) => inner.save(k, d),
    remove: (k) => inner.remove(k),
    loadRange: (p) => inner.loadRange(p),
    removeRange: (p) => inner.removeRange(p),
  }
}

test('the file adapter lists the same keys as its loadRange, without reading values, also through the device wrapper', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'key-listing-'))
  try {
    await fill(new NodeFSStorageAdapter(dir))
    // A fresh adapter (nothing in its memory cache) lists from disk; one that saved, from both.
    for (const adapter of [new NodeFSStorageAdapter(dir), new NodeFSStorageAdapter(dir)]) {
      await adapter.save(['4xyzDocA', 'incremental', 'd'.repeat(64)], new Uint8Array([9]))
      const storage = new ClosableStorage(adapter)
      const reads = vi.spyOn(adapter, 'load')
      for (const prefix of [['4xyzDocA'], ['tabsync-summaries', '2026-12-03'], ['nothing']]) {
        reads.mockClear()
        const listed = sorted(await listKeys(storage, prefix))
        expect(reads).not.toHaveBeenCalled()
        expect(listed).toEqual(sorted((await adapter.loadRange(prefix)).map((c) => c.key)))
      }
      expect(sorted(await listKeys(storage, ['4xyzDocA']))).toHaveLength(4)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('the memory adapter lists its keys, and an adapter of another shape falls back to loadRange', async () => {
  const memory = new MemoryStorageAdapter()
  await fill(memory)
  expect(sorted(await listKeys(memory, ['4xyzDocA']))).toHaveLength(3)
  const plain = plainAdapter(memory)
  expect(sorted(await listKeys(plain, ['4xyzDocA']))).toEqual(
    sorted(await listKeys(memory, ['4xyzDocA'])),
  )
})

/** Per document, the keys `loadRange([id])` returns, as sorted text. */
async function loadedPerDocument(storage: StorageAdapterInterface, ids: readonly string[]) {
  return Object.fromEntries(
    await Promise.all(
      ids.map(async (id) => [id, sorted((await storage.loadRange([id])).map((c) => c.key))]),
    ),
  )
}

const listedText = (listed: Map<string, StorageKey[]>) =>
  Object.fromEntries([...listed].map(([id, keys]) => [id, sorted(keys)]))

test('the file adapter lists many documents in one pass: per document exactly the keys its loadRange returns, no value read, its memory read once', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'key-listing-'))
  try {
    await fill(new NodeFSStorageAdapter(dir))
    const ids = ['4xyzDocA', '5otherDoc', '6savedHere', '7absentDoc']
    // A fresh adapter lists from disk; one that saved lists from both (a key only in its memory).
    for (const fresh of [true, false]) {
      const adapter = new NodeFSStorageAdapter(dir)
      if (!fresh) {
        await adapter.save(['4xyzDocA', 'incremental', 'd'.repeat(64)], new Uint8Array([9]))
        await adapter.save(['6savedHere', 'snapshot', 'e'.repeat(64)], new Uint8Array([9]))
      }
      const reads = vi.spyOn(adapter, 'load')
      const ranges = vi.spyOn(adapter, 'loadRange')
      const perDocument = vi.spyOn(
        adapter as unknown as { cachedKeys: () => string[] },
        'cachedKeys',
      )
      // Through the device's wrappers, as the summary cache lists them.
      const storage = new RepoChunks(new ClosableStorage(adapter))
      const listed = listedText(await listDocumentKeys(storage, ids))
      expect(reads).not.toHaveBeenCalled()
      expect(ranges).not.toHaveBeenCalled()
      expect(perDocument).not.toHaveBeenCalled()
      expect(listed).toEqual(await loadedPerDocument(adapter, ids))
      expect(listed['4xyzDocA']).toHaveLength(fresh ? 3 : 4)
      expect(listed['6savedHere']).toHaveLength(fresh ? 0 : 1)
      expect(listed['7absentDoc']).toEqual([])
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('the memory adapter lists many documents in one pass, and an adapter of another shape gets one loadRange per document, logged once through the device wrapper', async () => {
  const memory = new MemoryStorageAdapter()
  await fill(memory)
  const ids = ['4xyzDocA', '5otherDoc', 'absent']
  const single = vi.spyOn(memory, 'listKeys')
  const listed = listedText(await listDocumentKeys(memory, ids))
  expect(single).not.toHaveBeenCalled()
  expect(listed).toEqual(await loadedPerDocument(memory, ids))
  expect(listed['4xyzDocA']).toHaveLength(3)
  const plain = plainAdapter(memory)
  // Through the device's wrapper: one listing per document, the fallback logged once.
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
  const wrapped = new ClosableStorage(plain)
  expect(listedText(await listDocumentKeys(wrapped, ids, logger))).toEqual(listed)
  expect(listedText(await listDocumentKeys(wrapped, ids, logger))).toEqual(listed)
  expect(logger.info).toHaveBeenCalledTimes(1)
})
