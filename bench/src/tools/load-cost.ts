// What one document open costs, by way of opening it (issue 15):
// `npx tsx bench/src/tools/load-cost.ts [orders] [rounds]` (default: the 2,000-order day fixture,
// 3 rounds). Over the day's 60 open checks and 18 table documents, times `A.load`,
// `A.loadIncremental(A.init(), bytes)` (automerge-repo's storage load and import), `A.diff` from
// no heads (DocHandle's first change event), then `repo.import` into a fresh Repo and `repo.find`
// from storage in a fresh Repo, each stock and with Tabsync's load hook (`installLoadHook`),
// interleaved in one process. Medians over rounds (the first round warms up), ms per group.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { Repo, type DocumentId } from '@automerge/automerge-repo'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { installLoadHook } from '@tabsync/protocol'
import { cachedDay, installDay } from '../fixtures/day.js'
import { median } from '../stats.js'
import { now } from '../workload.js'

const orders = Number(process.argv[2] ?? 2000)
const rounds = Number(process.argv[3] ?? 3)
const day = await cachedDay({ orders, open: 60 }, console.log)
const id = (url: string) => url.slice('automerge:'.length) as DocumentId
const groups = {
  'open checks (60)': day.openUrls.map(id),
  'tables (18)': day.tableUrls.map(id),
}
const dir = await mkdtemp(path.join(os.tmpdir(), 'load-cost-'))
// Only the measured documents are stored (installing the whole day takes long on a busy machine).
const measured = new Set(Object.values(groups).flat())
await installDay(
  { ...day, docs: new Map([...day.docs].filter(([d]) => measured.has(d))) },
  new NodeFSStorageAdapter(dir),
)

function repoOf(hooked: boolean, storage?: NodeFSStorageAdapter): Repo {
  const repo = new Repo({ network: [], ...(storage ? { storage } : {}) })
  if (hooked) installLoadHook(repo, A)
  return repo
}

const bytes = (d: DocumentId) => day.docs.get(d)!
const importAll = async (ids: DocumentId[], hooked: boolean) => {
  const repo = repoOf(hooked)
  const t = now()
  for (const d of ids) repo.import(bytes(d), { docId: d })
  const ms = now() - t
  await repo.shutdown()
  return ms
}
const findAll = async (ids: DocumentId[], hooked: boolean) => {
  const repo = repoOf(hooked, new NodeFSStorageAdapter(dir))
  const t = now()
  await Promise.all(ids.map((d) => repo.find(d)))
  const ms = now() - t
  await repo.shutdown()
  return ms
}
const timed = (f: () => void) => {
  const t = now()
  f()
  return now() - t
}
const ways: Record<string, (ids: DocumentId[]) => Promise<number> | number> = {
  'A.load': (ids) => timed(() => ids.forEach((d) => A.load(bytes(d)))),
  'A.loadIncremental(A.init())': (ids) =>
    timed(() => ids.forEach((d) => A.loadIncremental(A.init(), bytes(d)))),
  'A.diff from no heads': (ids) => {
    const docs = ids.map((d) => A.load(bytes(d)))
    return timed(() => docs.forEach((doc) => A.diff(doc, [], A.getHeads(doc))))
  },
  'repo.import, stock': (ids) => importAll(ids, false),
  'repo.import, load hook': (ids) => importAll(ids, true),
  'repo.find from storage, stock': (ids) => findAll(ids, false),
  'repo.find from storage, load hook': (ids) => findAll(ids, true),
}

console.log(`${orders}-order day, ${rounds} rounds, medians in ms`)
for (const [group, ids] of Object.entries(groups)) {
  const times = new Map<string, number[]>(Object.keys(ways).map((w) => [w, []]))
  // Rounds interleave the ways, so a change of machine load touches each of them alike.
  for (let r = 0; r < rounds + 1; r++) {
    for (const [way, run] of Object.entries(ways)) {
      const ms = await run(ids)
      if (r > 0) times.get(way)!.push(ms) // the first round warms up
    }
  }
  for (const [way, t] of times) {
    console.log(`${group.padEnd(18)} ${way.padEnd(36)} ${median(t).toFixed(1).padStart(8)}`)
  }
}
await rm(dir, { recursive: true, force: true })
