import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { afterEach, describe, expect, test } from 'vitest'
import { FileStorageAdapter } from '../src/storage/file-storage-adapter.js'
import { WriteBehindStorage } from '../src/storage/write-behind-storage.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function files(): Promise<FileStorageAdapter> {
  const dir = await mkdtemp(join(tmpdir(), 'tabsync-write-behind-'))
  dirs.push(dir)
  return new FileStorageAdapter(dir)
}

/** The file adapter, recording every write that reaches it. */
function recording(inner: StorageAdapterInterface): {
  adapter: StorageAdapterInterface
  writes: string[]
} {
  const writes: string[] = []
  const adapter: StorageAdapterInterface = {
    load: (k) => inner.load(k),
    loadRange: (k) => inner.loadRange(k),
    save: (k, d) => (writes.push(`save ${k.join('/')}`), inner.save(k, d)),
    remove: (k) => (writes.push(`remove ${k.join('/')}`), inner.remove(k)),
    removeRange: (k) => (writes.push(`removeRange ${k.join('/')}`), inner.removeRange(k)),
  }
  return { adapter, writes }
}

describe('WriteBehindStorage over FileStorageAdapter', () => {
  runStorageAdapterTests(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tabsync-write-behind-'))
    const adapter = new WriteBehindStorage(new FileStorageAdapter(dir), { windowMs: 20 })
    return {
      adapter,
      teardown: async () => {
        await adapter.flush() // no write left to land in the removed directory
        await rm(dir, { recursive: true, force: true })
      },
    }
  }, 'WriteBehindStorage')
})

test("a document's incremental chunks of one window reach the disk as one chunk that loads whole", async () => {
  const inner = await files()
  const { adapter, writes } = recording(inner)
  const storage = new WriteBehindStorage(adapter, { windowMs: 60_000 })
  let doc = A.from<{ lines: Record<string, number> }>({ lines: {} })
  let heads = A.getHeads(doc)
  await storage.save(['doc1', 'snapshot', 'h0'], A.save(doc))
  for (let i = 0; i < 5; i++) {
    doc = A.change(doc, (d) => {
      d.lines[`l${i}`] = i
    })
    await storage.save(['doc1', 'incremental', `i${i}`], A.saveSince(doc, heads))
    heads = A.getHeads(doc)
  }
  expect(writes).toEqual([]) // held back, yet readable:
  expect((await storage.loadRange(['doc1'])).length).toBe(6)
  await storage.flush()
  expect(writes).toEqual(['save doc1/snapshot/h0', 'save doc1/incremental/i4'])
  const stored = await inner.loadRange(['doc1'])
  const loaded = A.loadIncremental(A.init<{ lines: Record<string, number> }>(), concat(stored))
  expect(loaded.lines).toEqual({ l0: 0, l1: 1, l2: 2, l3: 3, l4: 4 })
})

test("a compaction's chunks saved and removed in one window never reach the disk; removals follow the snapshot", async () => {
  const inner = await files()
  await inner.save(['doc1', 'snapshot', 'old'], new Uint8Array([1]))
  const { adapter, writes } = recording(inner)
  const storage = new WriteBehindStorage(adapter, { windowMs: 60_000 })
  await storage.save(['doc1', 'incremental', 'a'], new Uint8Array([2]))
  await storage.save(['doc1', 'sync-state', 'peer'], new Uint8Array([3]))
  await storage.save(['doc1', 'snapshot', 'new'], new Uint8Array([4]))
  for (const k of ['incremental/a', 'snapshot/old'])
    await storage.remove(['doc1', ...k.split('/')] as StorageKey)
  expect((await storage.loadRange(['doc1', 'snapshot'])).map((c) => c.key[2])).toEqual(['new'])
  await storage.flush()
  expect(writes).toEqual([
    'save doc1/sync-state/peer',
    'save doc1/snapshot/new',
    'remove doc1/incremental/a',
    'remove doc1/snapshot/old',
  ])
  expect((await inner.loadRange(['doc1'])).map((c) => c.key.join('/'))).toEqual([
    'doc1/sync-state/peer',
    'doc1/snapshot/new',
  ])
})

test("the relay's own records and the storage id are written at once, never held back", async () => {
  const inner = await files()
  const { adapter, writes } = recording(inner)
  const storage = new WriteBehindStorage(adapter, { windowMs: 60_000 })
  await storage.save(['tabsync-relay', 'owner', 'doc1'], new Uint8Array([1]))
  await storage.save(['storage-adapter-id'], new Uint8Array([2]))
  expect(writes).toEqual(['save tabsync-relay/owner/doc1', 'save storage-adapter-id'])
})

test('a failed background write is retried at the next window and reported', async () => {
  const inner = await files()
  let fail = true
  const errors: string[] = []
  const flaky: StorageAdapterInterface = {
    ...recording(inner).adapter,
    save: (k, d) => (fail ? Promise.reject(new Error('disk full')) : inner.save(k, d)),
  }
  const storage = new WriteBehindStorage(flaky, {
    windowMs: 10,
    onError: (err, doc) => errors.push(`${doc}: ${(err as Error).message}`),
  })
  await storage.save(['doc1', 'incremental', 'a'], new Uint8Array([7]))
  await storage.flush()
  expect(errors).toEqual(['doc1: disk full'])
  expect(await storage.load(['doc1', 'incremental', 'a'])).toEqual(new Uint8Array([7]))
  fail = false
  await storage.flush()
  expect(await inner.load(['doc1', 'incremental', 'a'])).toEqual(new Uint8Array([7]))
  expect(storage.pendingDocuments).toBe(0)
})

test('a write in flight is seen by load and loadRange until it is stored (a slow disk)', async () => {
  const inner = await files()
  const waiting: (() => void)[] = []
  const slow: StorageAdapterInterface = {
    ...recording(inner).adapter,
    save: async (k, d) => {
      await new Promise<void>((resolve) => waiting.push(resolve))
      return inner.save(k, d)
    },
  }
  const storage = new WriteBehindStorage(slow, { windowMs: 60_000 })
  await storage.save(['doc1', 'snapshot', 's'], new Uint8Array([1, 2]))
  const written = storage.flush()
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(waiting).toHaveLength(1) // in flight, not stored
  expect(await inner.load(['doc1', 'snapshot', 's'])).toBeUndefined()
  expect(await storage.load(['doc1', 'snapshot', 's'])).toEqual(new Uint8Array([1, 2]))
  expect((await storage.loadRange(['doc1'])).map((c) => c.key.join('/'))).toEqual([
    'doc1/snapshot/s',
  ])
  waiting.shift()!()
  await written
  expect(await inner.load(['doc1', 'snapshot', 's'])).toEqual(new Uint8Array([1, 2]))
})

test('writes held because storage fails are counted (bytes, documents) until a retry stores them, also while a retry is in flight', async () => {
  const inner = await files()
  let fail = true
  let slow = true
  const waiting: (() => void)[] = []
  const reported: number[] = []
  const flaky: StorageAdapterInterface = {
    ...recording(inner).adapter,
    save: async (k, d) => {
      if (fail) throw new Error('disk full')
      if (slow) await new Promise<void>((resolve) => waiting.push(resolve)) // the retry is in flight
      return inner.save(k, d)
    },
  }
  const storage = new WriteBehindStorage(flaky, {
    windowMs: 60_000,
    onFailingBytes: (bytes) => reported.push(bytes),
  })
  await storage.save(['doc1', 'incremental', 'a'], new Uint8Array(100))
  expect(storage.failingBytes).toBe(0) // held by the window, not by a failure
  await storage.flush()
  expect(storage.failingBytes).toBe(100)
  expect([...storage.failingDocuments()]).toEqual(['doc1'])
  await storage.save(['doc1', 'incremental', 'b'], new Uint8Array(50))
  await storage.save(['doc2', 'incremental', 'c'], new Uint8Array(30)) // its write has not failed
  expect(storage.failingBytes).toBe(150)
  expect([...storage.failingDocuments()]).toEqual(['doc1'])

  fail = false
  const retry = storage.flush()
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(storage.failingBytes).toBe(150) // in flight, not stored yet: still held
  await storage.save(['doc1', 'incremental', 'd'], new Uint8Array(10)) // arrives meanwhile
  expect(storage.failingBytes).toBe(160)
  while (waiting.length > 0) {
    for (const resolve of waiting.splice(0)) resolve()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await retry
  expect(storage.failingBytes).toBe(0)
  expect([...storage.failingDocuments()]).toEqual([])
  expect(reported).toEqual([100, 150, 160, 0])
  slow = false
  await storage.flush() // d, held by its window since
  expect((await inner.loadRange(['doc1'])).length).toBe(2) // a and b as one chunk, then d
})

function concat(chunks: readonly { data?: Uint8Array | undefined }[]): Uint8Array {
  return Buffer.concat(chunks.map((c) => c.data as Uint8Array))
}
