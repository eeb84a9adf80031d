// installLoadHook (@tabsync/protocol) makes automerge-repo 2.5.6 open a document with one
// `Automerge.load`: imports of new documents and storage loads, and no diff from no heads when
// nothing listens. These tests prove it takes effect, that a document opened through it is the
// one stock opens (heads, content), that later changes are saved and synced (nothing lost), and
// that it leaves automerge-repo alone when the shape it hooks is not there.
import * as A from '@automerge/automerge'
import {
  generateAutomergeUrl,
  parseAutomergeUrl,
  Repo,
  type AutomergeUrl,
  type DocumentId,
  type PeerId,
  type StorageAdapterInterface,
} from '@automerge/automerge-repo/slim'
import { installLoadHook, loadHookStats, LoadHookMode } from '@tabsync/protocol'
import { expect, test } from 'vitest'
import { MemoryStorageAdapter } from '../src/storage/memory-storage.js'
import { createSimNetwork } from '../src/testing/index.js'

type Check = {
  lines: { id: string; qty: A.Counter }[]
  note: string
}

/** `n` saved documents with a few changes each, by id. */
function savedDocs(n: number): Map<DocumentId, Uint8Array> {
  const docs = new Map<DocumentId, Uint8Array>()
  for (let i = 0; i < n; i++) {
    let doc = A.from<Check>({ lines: [], note: `check ${i}` })
    for (let k = 0; k < 5; k++) {
      doc = A.change(doc, (d) => void d.lines.push({ id: `${i}-${k}`, qty: new A.Counter(k + 1) }))
    }
    docs.set(parseAutomergeUrl(generateAutomergeUrl()).documentId, A.save(doc))
  }
  return docs
}

/** One saved document: its id and bytes. */
function oneDoc(): [DocumentId, Uint8Array] {
  const [entry] = savedDocs(1)
  if (entry === undefined) throw new Error('no document')
  return entry
}

const hexHeads = (doc: unknown) => A.getHeads(doc as A.Doc<unknown>)
const plain = (doc: unknown) => JSON.parse(JSON.stringify(doc)) as unknown

test('installLoadHook works on stock automerge-repo: imports of new documents load once, with no first diff', () => {
  const docs = savedDocs(5)
  const hooked = new Repo({ network: [] })
  const stock = new Repo({ network: [] })
  expect(installLoadHook(hooked, A)).toBe(LoadHookMode.importOnly) // no storage
  for (const [docId, bytes] of docs) {
    const a = hooked.import<Check>(bytes, { docId })
    const b = stock.import<Check>(bytes, { docId })
    expect(a.isReady()).toBe(true)
    expect(a.heads()).toEqual(b.heads())
    expect(plain(a.doc())).toEqual(plain(b.doc()))
  }
  expect(loadHookStats(hooked)).toEqual({
    imported: 5,
    storageLoaded: 0,
    fellBack: 0,
    diffsSkipped: 5,
    savesSkipped: 0,
  })
  expect(loadHookStats(stock)).toBeUndefined() // a Repo nobody hooked stays stock
  // The skipped diff is not cached on the document: a later diff from no heads is complete.
  const [docId] = docs.keys()
  const doc = hooked.handles[docId!]!.doc()
  expect(A.diff(doc, [], hexHeads(doc)).length).toBeGreaterThan(0)
  void hooked.shutdown()
  void stock.shutdown()
})

test('an import into a document the Repo already has merges the stock way', () => {
  const [docId, bytes] = oneDoc()
  const repo = new Repo({ network: [] })
  installLoadHook(repo, A)
  const first = repo.import<Check>(bytes, { docId })
  const more = A.change(A.load<Check>(bytes), (d) => void (d.note = 'more'))
  repo.import(A.save(more), { docId })
  expect(first.doc().note).toBe('more')
  expect(loadHookStats(repo)?.imported).toBe(1)
  void repo.shutdown()
})

test('bytes Automerge.load refuses (a change whose dependency is missing) go the stock way', () => {
  const base = A.from<Check>({ lines: [], note: 'a' })
  const next = A.change(base, (d) => void (d.note = 'b'))
  const orphan = A.getLastLocalChange(next)!
  const repo = new Repo({ network: [] })
  const stock = new Repo({ network: [] })
  installLoadHook(repo, A)
  const { documentId: docId } = parseAutomergeUrl(generateAutomergeUrl())
  const a = repo.import(orphan, { docId })
  const b = stock.import(orphan, { docId })
  expect(loadHookStats(repo)?.fellBack).toBe(1)
  expect(a.state).toBe(b.state)
  void repo.shutdown()
  void stock.shutdown()
})

test('storage loads go through one Automerge.load, equal stock, and unchanged documents are not rewritten', async () => {
  const docs = savedDocs(6)
  const storage = new MemoryStorageAdapter()
  const writer = new Repo({ storage, network: [] })
  for (const [docId, bytes] of docs) writer.import(bytes, { docId })
  await writer.flush()
  await writer.shutdown()

  const writes: string[] = []
  const counted: StorageAdapterInterface = {
    load: (key) => storage.load(key),
    save: (key, data) => {
      writes.push(key.join('/'))
      return storage.save(key, data)
    },
    remove: (key) => storage.remove(key),
    loadRange: (prefix) => storage.loadRange(prefix),
    removeRange: (prefix) => storage.removeRange(prefix),
  }
  const hooked = new Repo({ storage: counted, network: [] })
  expect(installLoadHook(hooked, A)).toBe(LoadHookMode.hook)
  const stock = new Repo({ storage: new MemoryStorageAdapter(), network: [] })
  for (const [docId, bytes] of docs) stock.import(bytes, { docId })
  for (const docId of docs.keys()) {
    const a = await hooked.find<Check>(docId)
    const b = await stock.find<Check>(docId)
    expect(a.heads()).toEqual(b.heads())
    expect(plain(a.doc())).toEqual(plain(b.doc()))
  }
  expect(loadHookStats(hooked)).toMatchObject({ storageLoaded: 6, diffsSkipped: 6, fellBack: 0 })
  // A flush of documents nobody changed writes nothing, as stock (which knows their heads).
  await hooked.flush()
  expect(writes.filter((k) => !k.startsWith('storage-adapter-id'))).toEqual([])
  expect(loadHookStats(hooked)?.savesSkipped).toBe(6)
  await hooked.shutdown()
})

test('a change listener on a handle before its storage load still hears the load, with its patches', async () => {
  const [docId, bytes] = oneDoc()
  const storage = new MemoryStorageAdapter()
  const writer = new Repo({ storage, network: [] })
  writer.import(bytes, { docId })
  await writer.flush()
  await writer.shutdown()

  const hooked = new Repo({ storage, network: [] })
  installLoadHook(hooked, A)
  const progress = hooked.findWithProgress<Check>(docId)
  const heard: number[] = []
  progress.handle.on('change', ({ patches }) => heard.push(patches.length))
  await progress.handle.whenReady()
  expect(loadHookStats(hooked)).toMatchObject({ storageLoaded: 1, diffsSkipped: 0 })
  expect(heard).toHaveLength(1)
  expect(heard[0]).toBeGreaterThan(0)
  await hooked.shutdown()
})

test('changes to a document the hook loaded from storage are saved: a restart has every one of them', async () => {
  const [docId, bytes] = oneDoc()
  const storage = new MemoryStorageAdapter()
  const writer = new Repo({ storage, network: [] })
  writer.import(bytes, { docId })
  await writer.flush()
  await writer.shutdown()

  const hooked = new Repo({ storage, network: [] })
  installLoadHook(hooked, A)
  const handle = await hooked.find<Check>(docId)
  for (const note of ['first', 'second', 'third']) {
    handle.change((d) => void (d.note = note))
    await hooked.flush([docId])
  }
  handle.change((d) => void d.lines.push({ id: 'late', qty: new A.Counter(1) }))
  await hooked.flush([docId])
  const heads = handle.heads()
  await hooked.shutdown()

  for (const restart of [installLoadHook, undefined]) {
    const again = new Repo({ storage, network: [] })
    if (restart) restart(again, A)
    const reloaded = await again.find<Check>(docId)
    expect(reloaded.heads()).toEqual(heads)
    expect(reloaded.doc().note).toBe('third')
    expect(reloaded.doc().lines.map((l) => l.id)).toContain('late')
    await again.shutdown()
  }
})

test('a document imported through the hook syncs both ways with a stock peer', async () => {
  const [docId, bytes] = oneDoc()
  const net = createSimNetwork({ seed: 7, faults: { minDelayMs: 1, maxDelayMs: 5 } })
  const a = new Repo({ network: [net.adapter('a')], peerId: 'a' as PeerId })
  const b = new Repo({ network: [net.adapter('b')], peerId: 'b' as PeerId })
  installLoadHook(a, A)
  net.link('a', 'b')
  const mine = a.import<Check>(bytes, { docId })
  const theirs = await b.find<Check>(`automerge:${docId}` as AutomergeUrl)
  mine.change((d) => void (d.note = 'from a'))
  await until(() => theirs.doc().note === 'from a')
  theirs.change((d) => void d.lines[0]!.qty.increment(2))
  await until(() => mine.doc().lines[0]!.qty.value === 3)
  expect(mine.heads()).toEqual(theirs.heads())
  expect(loadHookStats(a)?.imported).toBe(1)
  await Promise.all([a.shutdown(), b.shutdown()])
})

test('a Repo whose internals changed shape is told unsupported and stays stock', () => {
  class ReshapedRepo extends Repo {}
  // automerge-repo without a public import: nothing to hook.
  Object.defineProperty(ReshapedRepo.prototype, 'import', { value: undefined })
  const repo = new ReshapedRepo({ network: [] })
  expect(installLoadHook(repo, A)).toBe(LoadHookMode.unsupported)
  expect(loadHookStats(repo)).toBeUndefined()
  const notARepo = { create: () => ({ documentId: 'x' }), shutdown: () => Promise.resolve() }
  expect(installLoadHook(notARepo, A)).toBe(LoadHookMode.unsupported)
  void repo.shutdown()
})

async function until(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}
