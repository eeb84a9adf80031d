import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { afterEach, describe, expect, test } from 'vitest'
import { isRelayError, type RelayError } from '../src/errors.js'
import { FileStorageAdapter } from '../src/storage/file-storage-adapter.js'
import { KeptWritesStorage } from '../src/storage/kept-writes-storage.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function files(): Promise<FileStorageAdapter> {
  const dir = await mkdtemp(join(tmpdir(), 'tabsync-kept-writes-'))
  dirs.push(dir)
  return new FileStorageAdapter(dir)
}

/** Files whose writes fail while `down` (a database that went away); records what landed. */
function failing(inner: StorageAdapterInterface): {
  adapter: StorageAdapterInterface
  landed: string[]
  setDown(down: boolean): void
} {
  let down = false
  const landed: string[] = []
  const write = (what: string, run: () => Promise<void>): Promise<void> => {
    if (down) return Promise.reject(new Error('connection refused'))
    landed.push(what)
    return run()
  }
  return {
    adapter: {
      load: (k) => inner.load(k),
      loadRange: (k) => inner.loadRange(k),
      save: (k, d) => write(`save ${k.join('/')}`, () => inner.save(k, d)),
      remove: (k) => write(`remove ${k.join('/')}`, () => inner.remove(k)),
      removeRange: (k) => write(`removeRange ${k.join('/')}`, () => inner.removeRange(k)),
    },
    landed,
    setDown: (d) => (down = d),
  }
}

describe('KeptWritesStorage over FileStorageAdapter', () => {
  runStorageAdapterTests(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tabsync-kept-writes-'))
    const adapter = new KeptWritesStorage(new FileStorageAdapter(dir), { onFailure: () => {} })
    return { adapter, teardown: () => rm(dir, { recursive: true, force: true }) }
  }, 'KeptWritesStorage')
})

test('a failed document write resolves, is reported as a RelayError, stays readable, and later writes of the document wait behind it', async () => {
  const { adapter, landed, setDown } = failing(await files())
  const failures: { error: RelayError; key: StorageKey; retried: boolean }[] = []
  const storage = new KeptWritesStorage(adapter, {
    onFailure: (error, key, retried) => failures.push({ error, key, retried }),
    retryMs: 60_000,
  })
  await storage.save(['doc1', 'incremental', 'a'], new Uint8Array([1]))
  setDown(true)
  // A compaction while storage is down: the snapshot fails, so the removal of what it replaces
  // must not reach storage before it, even once storage is back.
  await expect(storage.save(['doc1', 'snapshot', 's'], new Uint8Array([9]))).resolves.toBe(
    undefined,
  )
  setDown(false)
  await storage.remove(['doc1', 'incremental', 'a'])
  expect(landed).toEqual(['save doc1/incremental/a'])
  expect(failures).toHaveLength(1)
  expect(isRelayError(failures[0]!.error, 'storage')).toBe(true)
  expect(failures[0]).toMatchObject({ key: ['doc1', 'snapshot', 's'], retried: false })
  expect(storage.keptWrites).toBe(2)
  // Reads see what automerge-repo believes stored.
  expect(await storage.load(['doc1', 'snapshot', 's'])).toEqual(new Uint8Array([9]))
  expect((await storage.loadRange(['doc1'])).map((c) => c.key.join('/'))).toEqual([
    'doc1/snapshot/s',
  ])
  // Other documents and the relay's own records are not held up.
  await storage.save(['doc2', 'incremental', 'b'], new Uint8Array([2]))
  await storage.save(['tabsync-relay', 'owner', 'doc3'], new Uint8Array([3]))

  await storage.retry()
  expect(landed).toEqual([
    'save doc1/incremental/a',
    'save doc2/incremental/b',
    'save tabsync-relay/owner/doc3',
    'save doc1/snapshot/s',
    'remove doc1/incremental/a',
  ])
  expect(storage.keptWrites).toBe(0)
  expect(storage.retryableWrites).toBe(0)
})

test('kept writes wait while mayRetry says no; a retry that fails again is reported as such', async () => {
  const { adapter, landed, setDown } = failing(await files())
  const retried: boolean[] = []
  let mayRetry = false
  const storage = new KeptWritesStorage(adapter, {
    onFailure: (_error, _key, again) => retried.push(again),
    mayRetry: () => mayRetry,
    retryMs: 60_000,
  })
  setDown(true)
  await storage.save(['doc1', 'incremental', 'a'], new Uint8Array([1]))
  await storage.retry()
  expect(retried).toEqual([false])
  expect(storage.retryableWrites).toBe(0) // kept, but not this node's to write now
  mayRetry = true
  expect(storage.retryableWrites).toBe(1)
  await storage.retry()
  expect(retried).toEqual([false, true])
  setDown(false)
  expect(await storage.flush()).toBe(0)
  expect(landed).toEqual(['save doc1/incremental/a'])
})

test('kept bytes count the content held in memory, reported on every change, back to 0 once stored or made moot', async () => {
  const { adapter, setDown } = failing(await files())
  const reported: number[] = []
  const storage = new KeptWritesStorage(adapter, {
    onFailure: () => {},
    onKeptBytes: (bytes) => reported.push(bytes),
    retryMs: 60_000,
  })
  setDown(true)
  await storage.save(['doc1', 'incremental', 'a'], new Uint8Array(100))
  await storage.save(['doc1', 'incremental', 'b'], new Uint8Array(50)) // queued behind a
  await storage.remove(['doc1', 'incremental', 'a']) // a removal holds no content
  await storage.save(['doc2', 'snapshot', 's'], new Uint8Array(30))
  expect(storage.keptBytes).toBe(180)
  expect([...storage.keptDocuments()].sort()).toEqual(['doc1', 'doc2'])
  setDown(false)
  await storage.removeRange(['doc2'])
  expect(storage.keptBytes).toBe(150)
  await storage.retry()
  expect(storage.keptBytes).toBe(0)
  expect([...storage.keptDocuments()]).toEqual([])
  expect(reported).toEqual([100, 150, 180, 150, 50, 0])
})
