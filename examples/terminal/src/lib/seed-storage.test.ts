import * as A from '@automerge/automerge'
import { encodeBundle } from '@tabsync/core/internal'
import { MemoryStorageAdapter } from '@tabsync/sync'
import { afterEach, expect, test, vi } from 'vitest'
import { seedStorage } from './seed-storage.js'

const saved = (name: string) => A.save(A.from({ name }))

afterEach(() => {
  vi.restoreAllMocks()
})

test('each asked-for document of the bundle is stored as one catch-up chunk that loads back as the same document; others are not', async () => {
  const storage = new MemoryStorageAdapter()
  const bundle = encodeBundle([
    { documentId: 'store1', bytes: saved('store') },
    { documentId: 'table1', bytes: saved('table') },
    { documentId: 'other1', bytes: saved('not asked for') },
  ])
  expect(await seedStorage(storage, bundle, ['store1', 'table1'])).toBe(2)
  const chunks = await storage.loadRange(['table1'])
  expect(chunks.map((c) => c.key)).toEqual([
    ['table1', 'incremental', expect.stringMatching(/^catch-up-[0-9a-f]{32}$/)],
  ])
  expect(A.load<{ name: string }>(chunks[0]!.data!).name).toBe('table')
  expect(await storage.loadRange(['other1'])).toEqual([])
})

test('a bundle that is not one stores nothing and says so in a warning', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  const storage = new MemoryStorageAdapter()
  const truncated = encodeBundle([{ documentId: 'store1', bytes: saved('store') }]).subarray(0, 20)
  expect(await seedStorage(storage, truncated, ['store1'])).toBe(0)
  expect(await seedStorage(storage, new TextEncoder().encode('<html>'), ['store1'])).toBe(0)
  expect(await storage.loadRange(['store1'])).toEqual([])
  expect(warn).toHaveBeenCalledTimes(2)
  expect(String(warn.mock.calls[0]?.[0])).toMatch(/starter bundle that is not one/)
})

test('a document that is not Automerge data is left out with a warning; the rest is stored', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  const storage = new MemoryStorageAdapter()
  const bundle = encodeBundle([
    { documentId: 'store1', bytes: saved('store') },
    { documentId: 'table1', bytes: new TextEncoder().encode('not automerge') },
  ])
  expect(await seedStorage(storage, bundle, ['store1', 'table1'])).toBe(1)
  expect(await storage.loadRange(['table1'])).toEqual([])
  expect((await storage.loadRange(['store1'])).length).toBe(1)
  expect(String(warn.mock.calls[0]?.[0])).toMatch(/table1 is not Automerge data/)
})
