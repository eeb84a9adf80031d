import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { expect, test, vi } from 'vitest'
import { ClosableStorage } from './closable-storage.js'
import { listKeys } from './key-listing.js'
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
  const plain: StorageAdapterInterface = {
    load: (k) => memory.load(k),
    save: (k, d) => memory.save(k, d),
    remove: (k) => memory.remove(k),
    loadRange: (p) => memory.loadRange(p),
    removeRange: (p) => memory.removeRange(p),
  }
  expect(sorted(await listKeys(plain, ['4xyzDocA']))).toEqual(
    sorted(await listKeys(memory, ['4xyzDocA'])),
  )
})
