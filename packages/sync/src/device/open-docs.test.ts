// "Saved" means in storage. A device closed without a flush (a crash, a logout) has a storage
// that drops writes and resolves them, so a command still waiting for "saved" at that moment
// must be refused, not acknowledged: the dinner fuzz acknowledged an order no storage held.
import { Repo } from '@automerge/automerge-repo/slim'
import { expect, test } from 'vitest'
import { SyncErrorKind } from '../errors.js'
import { ClosableStorage } from '../storage/closable-storage.js'
import { MemoryStorageAdapter } from '../storage/memory-storage.js'
import { UnsyncedTracker } from '../status/unsynced-tracker.js'
import { OpenDocs } from './open-docs.js'

function openDocs(storage: ClosableStorage) {
  const repo = new Repo({ storage, network: [] })
  const docs = new OpenDocs({
    repo,
    tracker: new UnsyncedTracker(
      storage,
      () => 0,
      () => undefined,
    ),
    signal: new AbortController().signal,
    random: Math.random,
    orderSeen: () => undefined,
    persistClock: async () => undefined,
    droppedWrites: () => storage.droppedWrites,
  })
  return { repo, docs }
}

test('saved() refuses, with a closed error, when the storage dropped the writes it waited for', async () => {
  const inner = new MemoryStorageAdapter()
  const storage = new ClosableStorage(inner)
  const { repo, docs } = openDocs(storage)
  const handle = repo.create<{ lines: Record<string, number> }>({ lines: {} })
  await docs.saved([handle])
  handle.change((d) => {
    d.lines['l1'] = 1
  })
  await storage.close(false)
  await expect(docs.saved([handle])).rejects.toMatchObject({ kind: SyncErrorKind.closed })
  // Nothing of the change reached storage: refusing was the truth.
  const stored = await inner.loadRange([handle.documentId])
  expect(stored.filter((c) => c.key[1] === 'incremental')).toHaveLength(0)
  await repo.shutdown().catch(() => undefined)
})

test('saved() resolves when every write reached storage', async () => {
  const storage = new ClosableStorage(new MemoryStorageAdapter())
  const { repo, docs } = openDocs(storage)
  const handle = repo.create<{ lines: Record<string, number> }>({ lines: {} })
  handle.change((d) => {
    d.lines['l1'] = 1
  })
  await expect(docs.saved([handle])).resolves.toBeUndefined()
  expect(storage.droppedWrites).toBe(0)
  await repo.shutdown().catch(() => undefined)
})
