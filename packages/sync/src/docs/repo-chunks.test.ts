import type { DocumentId } from '@automerge/automerge-repo/slim'
import { expect, test } from 'vitest'
import { MemoryStorageAdapter } from '../storage/memory-storage.js'
import { RepoChunks } from './repo-chunks.js'

const id = 'doc1' as DocumentId
const hash = (c: string) => c.repeat(64)
const bytes = new Uint8Array([1, 2, 3])

test('the chunks a repo saved are noted; those it removed, one by one or by range, are not', async () => {
  const chunks = new RepoChunks(new MemoryStorageAdapter())
  await chunks.save([id, 'incremental', hash('a')], bytes)
  await chunks.save([id, 'incremental', hash('b')], bytes)
  await chunks.save([id, 'snapshot', hash('c')], bytes)
  await chunks.save([id, 'sync-state', 'peer'], bytes) // not content
  expect(chunks.fingerprint(id)).toEqual([
    `incremental/${hash('a')}`,
    `incremental/${hash('b')}`,
    `snapshot/${hash('c')}`,
  ])
  await chunks.remove([id, 'incremental', hash('a')])
  expect(chunks.fingerprint(id)).toEqual([`incremental/${hash('b')}`, `snapshot/${hash('c')}`])
  await chunks.removeRange([id, 'incremental'])
  expect(chunks.fingerprint(id)).toEqual([`snapshot/${hash('c')}`])
})

test('the chunks a repo loaded as a document are noted; a read of other keys notes nothing', async () => {
  const storage = new MemoryStorageAdapter()
  await storage.save([id, 'snapshot', hash('d')], bytes)
  await storage.save([id, 'incremental', hash('e')], bytes)
  const chunks = new RepoChunks(storage)
  await chunks.loadRange([id])
  expect(chunks.fingerprint(id)).toEqual([])
  await chunks.loadRange([id, 'snapshot'])
  expect(chunks.fingerprint(id)).toEqual([`snapshot/${hash('d')}`])
})

test('a save that fails is not noted (the chunk may not be stored)', async () => {
  const storage = new MemoryStorageAdapter()
  storage.save = () => Promise.reject(new Error('disk full'))
  const chunks = new RepoChunks(storage)
  await expect(chunks.save([id, 'incremental', hash('f')], bytes)).rejects.toThrow('disk full')
  expect(chunks.fingerprint(id)).toEqual([])
})
