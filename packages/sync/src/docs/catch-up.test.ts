import * as A from '@automerge/automerge'
import { Repo, type DocumentId, type StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { expect, test } from 'vitest'
import { MemoryStorageAdapter } from '../storage/memory-storage.js'
import { CatchUp, type DocumentFetcher } from './catch-up.js'

/** A "server" repo holding `n` documents, and a fetcher answering from it (counting requests). */
function server(n: number) {
  const repo = new Repo({ network: [] })
  const handles = Array.from({ length: n }, (_, i) => repo.create({ n: i, lines: ['a', 'b'] }))
  const requests: (readonly string[])[] = []
  const fetcher: DocumentFetcher = (ids) => {
    requests.push(ids)
    return Promise.resolve(
      ids.flatMap((id) => {
        const h = repo.handles[id as DocumentId]
        return h ? [{ documentId: id, bytes: A.save(h.doc()) }] : []
      }),
    )
  }
  return { ids: handles.map((h) => h.documentId), fetcher, requests }
}

test('missing documents are fetched in a few requests and then open from storage, offline', async () => {
  const s = server(600)
  const storage = new MemoryStorageAdapter()
  const device = new Repo({ network: [], storage })
  const catchUp = new CatchUp(device, storage, () => [s.fetcher])
  const unknown = '2unknownDocumentxyz' as DocumentId
  const result = await catchUp.fetch([...s.ids, unknown])
  expect(s.requests.map((r) => r.length)).toEqual([250, 250, 101])
  expect(result.fetched).toHaveLength(600)
  expect(result.missing).toEqual([unknown])
  // No network at all: the repo loads them from storage.
  const h = await device.find<{ n: number; lines: string[] }>(s.ids[599]!)
  expect(h.doc()).toEqual({ n: 599, lines: ['a', 'b'] })
  // Asking again fetches nothing: everything is present.
  const again = await catchUp.fetch(s.ids)
  expect(again.present).toHaveLength(600)
  expect(s.requests).toHaveLength(3)
})

test('two callers asking at once fetch each document once', async () => {
  const s = server(10)
  const storage = new MemoryStorageAdapter()
  const catchUp = new CatchUp(new Repo({ network: [], storage }), storage, () => [s.fetcher])
  const [a, b] = await Promise.all([catchUp.fetch(s.ids), catchUp.fetch(s.ids.slice(0, 5))])
  expect(s.requests.flat()).toHaveLength(10)
  expect(a.fetched).toHaveLength(10)
  expect(b.fetched).toHaveLength(5)
})

test('a failing server is skipped for the next one; with none answering, all are reported missing', async () => {
  const s = server(3)
  const down: DocumentFetcher = () => Promise.reject(new Error('ECONNREFUSED'))
  const storage = new MemoryStorageAdapter()
  const repo = new Repo({ network: [], storage })
  expect((await new CatchUp(repo, storage, () => [down, s.fetcher]).fetch(s.ids)).fetched).toEqual(
    s.ids,
  )
  const other = new MemoryStorageAdapter()
  const none = await new CatchUp(new Repo({ network: [], storage: other }), other, () => [
    down,
  ]).fetch(s.ids)
  expect(none.missing).toEqual(s.ids)
})

test('a document whose find gave up (unavailable) is filled in by the bundle', async () => {
  const s = server(1)
  const storage = new MemoryStorageAdapter()
  const device = new Repo({ network: [], storage })
  await expect(device.find(s.ids[0]!)).rejects.toThrow(/unavailable/)
  const result = await new CatchUp(device, storage, () => [s.fetcher]).fetch(s.ids)
  expect(result.fetched).toEqual(s.ids)
  const h = device.handles[s.ids[0]!]
  expect(h?.isReady()).toBe(true)
  expect(h?.doc()).toEqual({ n: 0, lines: ['a', 'b'] })
})

test('a refused bulk fetch is reported to the logger, not swallowed', async () => {
  const s = server(2)
  const down: DocumentFetcher = () => Promise.reject(new Error('ECONNREFUSED'))
  const storage = new MemoryStorageAdapter()
  const lines: { level: string; fields: object; message: string | undefined }[] = []
  const at =
    (level: string) =>
    (fields: object, message?: string): void =>
      void lines.push({ level, fields, message })
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  const repo = new Repo({ network: [], storage })
  await new CatchUp(repo, storage, () => [down, s.fetcher], logger).fetch(s.ids)
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({ level: 'info', message: expect.stringMatching(/bulk fetch/) })
  expect(String((lines[0]!.fields as { err: unknown }).err)).toContain('ECONNREFUSED')
})

test('with load, fetched documents are ready in the repo as the answer arrives, and stored too', async () => {
  const s = server(3)
  const storage = new MemoryStorageAdapter()
  // Storage reads are counted: a loaded document needs none to be ready.
  let reads = 0
  const counted: StorageAdapterInterface = {
    load: (key) => storage.load(key),
    save: (key, data) => storage.save(key, data),
    remove: (key) => storage.remove(key),
    loadRange: (prefix) => {
      reads++
      return storage.loadRange(prefix)
    },
    removeRange: (prefix) => storage.removeRange(prefix),
  }
  const device = new Repo({ network: [], storage: counted })
  const catchUp = new CatchUp(device, counted, () => [s.fetcher])
  const result = await catchUp.fetch(s.ids, { load: true })
  reads = 0 // the check of what is here before fetching
  expect(result.fetched).toEqual(s.ids)
  for (const [i, id] of s.ids.entries()) {
    expect(device.handles[id]?.isReady()).toBe(true)
    expect((await device.find<{ n: number }>(id)).doc().n).toBe(i)
  }
  expect(reads).toBe(0)
  // Stored as fetched: a device on the same storage opens them offline.
  const later = new Repo({ network: [], storage })
  expect((await later.find<{ n: number }>(s.ids[2]!)).doc().n).toBe(2)
})

test('with load, a document whose bytes do not load is logged and stored as it came, the others load', async () => {
  const s = server(2)
  const broken = new Uint8Array([1, 2, 3, 4])
  const fetcher: DocumentFetcher = async (ids) => [
    ...(await s.fetcher(ids)).filter((d) => d.documentId !== s.ids[0]),
    { documentId: s.ids[0]!, bytes: broken },
  ]
  const storage = new MemoryStorageAdapter()
  const warnings: object[] = []
  const noop = () => undefined
  const logger = {
    debug: noop,
    info: noop,
    warn: (f: object) => void warnings.push(f),
    error: noop,
  }
  const device = new Repo({ network: [], storage })
  await new CatchUp(device, storage, () => [fetcher], logger).fetch(s.ids, { load: true })
  expect(device.handles[s.ids[1]!]?.isReady()).toBe(true)
  expect(device.handles[s.ids[0]!]?.isReady()).not.toBe(true)
  expect(warnings).toEqual([expect.objectContaining({ documentId: s.ids[0] })])
  const [chunk] = await storage.loadRange([s.ids[0]!, 'incremental'])
  expect(chunk?.key[2]).toMatch(/^catch-up-[0-9a-f]{32}$/)
  expect(chunk?.data?.length).toBe(4)
})

test('what a floor sends along unasked is neither stored nor loaded until asked for, then taken without a request', async () => {
  const s = server(4)
  const [store, ...day] = s.ids as [DocumentId, ...DocumentId[]]
  const floors: unknown[] = []
  // A server whose floor of `store` is the three other documents.
  const fetcher: DocumentFetcher = async (ids, floor) => {
    floors.push(floor)
    return s.fetcher(floor ? [...ids, ...day] : ids)
  }
  const storage = new MemoryStorageAdapter()
  const device = new Repo({ network: [], storage })
  const catchUp = new CatchUp(device, storage, () => [fetcher])
  const first = await catchUp.fetch([store], { load: true, floor: { store, at: 1 } })
  expect(first.fetched).toEqual([store])
  expect(floors).toEqual([{ store, at: 1 }])
  // Kept aside: not stored, not in the repo.
  for (const id of day) {
    expect(await storage.loadRange([id])).toEqual([])
    expect(device.handles[id]).toBeUndefined()
  }
  expect(catchUp.sentAlong([...day, 'other' as DocumentId])).toEqual(day)
  // Asked for: from memory (no request), loaded and stored as a fetch would.
  const taken = await catchUp.fetch(day.slice(0, 2), { load: true })
  expect(taken.fetched).toEqual(day.slice(0, 2))
  expect(s.requests).toHaveLength(1)
  for (const id of day.slice(0, 2)) {
    expect(device.handles[id]?.isReady()).toBe(true)
    expect((await storage.loadRange([id])).length).toBe(1)
  }
  // Taken once: the third is still kept, the two others are here.
  expect(catchUp.sentAlong(day)).toEqual([day[2]])
  expect((await catchUp.fetch(day)).present).toEqual(day.slice(0, 2))
  expect(s.requests).toHaveLength(1)
})
