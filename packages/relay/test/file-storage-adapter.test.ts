import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { describe, expect, test } from 'vitest'
import { FileStorageAdapter } from '../src/storage/file-storage-adapter.js'
import { InstrumentedStorage } from '../src/storage/instrumented-storage.js'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tabsync-relay-storage-'))
}

describe('FileStorageAdapter', () => {
  runStorageAdapterTests(async () => {
    const dir = await tempDir()
    return {
      adapter: new FileStorageAdapter(dir),
      teardown: () => rm(dir, { recursive: true, force: true }),
    }
  }, 'FileStorageAdapter')

  runStorageAdapterTests(async () => {
    const dir = await tempDir()
    return {
      adapter: new InstrumentedStorage(new FileStorageAdapter(dir, { fsync: true }), {
        onWrite: () => {},
      }),
      teardown: () => rm(dir, { recursive: true, force: true }),
    }
  }, 'InstrumentedStorage over FileStorageAdapter with fsync')

  test('keys with dots, slashes and prefixes of other keys stay apart', async () => {
    const dir = await tempDir()
    try {
      const a = new FileStorageAdapter(dir)
      await a.save(['..'], new Uint8Array([1]))
      await a.save(['a/b', 'c'], new Uint8Array([2]))
      await a.save(['a/b'], new Uint8Array([3]))
      await a.save(['a/b', 'c', 'd'], new Uint8Array([4]))
      expect(await a.load(['..'])).toEqual(new Uint8Array([1]))
      expect(await a.load(['a/b', 'c'])).toEqual(new Uint8Array([2]))
      expect(await a.load(['a/b'])).toEqual(new Uint8Array([3]))
      expect((await a.loadRange(['a/b'])).map((c) => c.key)).toEqual([
        ['a/b', 'c'],
        ['a/b'],
        ['a/b', 'c', 'd'],
      ])
      expect((await a.loadRange([])).length).toBe(4)
      await a.removeRange(['a/b'])
      expect(await a.loadRange([])).toEqual([{ key: ['..'], data: new Uint8Array([1]) }])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('a leftover temporary file from a crashed write is ignored', async () => {
    const dir = await tempDir()
    try {
      const a = new FileStorageAdapter(dir)
      await a.save(['doc1', 'incremental', 'h1'], new Uint8Array([9, 9]))
      await mkdir(join(dir, 'do', 'doc1', 'incremental'), { recursive: true })
      await writeFile(join(dir, 'do', 'doc1', 'incremental', 'h2.chunk.abc.tmp'), 'half')
      expect(await a.loadRange(['doc1'])).toEqual([
        { key: ['doc1', 'incremental', 'h1'], data: new Uint8Array([9, 9]) },
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
