// What one document open costs, by way of opening it (issue 15):
// `npx tsx bench/src/tools/load-cost.ts [orders] [rounds]` (default 2,000 orders of the day
// fixture, 3 rounds). Times, over the day's open checks, closed orders and table documents:
// `A.load`, `A.loadIncremental(A.init(), bytes)` (automerge-repo's storage load),
// `A.diff` from no heads (DocHandle's first change event), `repo.import` into a fresh Repo,
// and `repo.find` from storage in a fresh Repo (stock automerge-repo, and with Tabsync's
// load hook when `TABSYNC_LOAD_HOOK=1`). Medians over rounds, ms per group; one process.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import { Repo, type DocumentId } from '@automerge/automerge-repo'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { cachedDay, installDay } from '../fixtures/day.js'
import { median } from '../stats.js'
import { now } from '../workload.js'

const orders = Number(process.argv[2] ?? 2000)
const rounds = Number(process.argv[3] ?? 3)
const hooked = process.env['TABSYNC_LOAD_HOOK'] === '1'
const hook = hooked ? (await import('@tabsync/protocol')).installLoadHook : undefined
const day = await cachedDay({ orders, open: 60 }, console.log)
const id = (url: string) => url.slice('automerge:'.length) as DocumentId
const groups = {
  'open checks (60)': day.openUrls.map(id),
  'closed orders (first 200)': day.orderUrls.slice(0, 200).map(id),
  'tables (18)': day.tableUrls.map(id),
}
const dir = await mkdtemp(path.join(os.tmpdir(), 'load-cost-'))
await installDay(day, new NodeFSStorageAdapter(dir))

function repoOf(storage?: NodeFSStorageAdapter): Repo {
  const repo = new Repo({ network: [], ...(storage ? { storage } : {}) })
  if (hooked) hook?.(repo, A)
  return repo
}

const ways: Record<string, (ids: DocumentId[]) => Promise<void> | void> = {
  'A.load': (ids) => void ids.forEach((d) => A.load(day.docs.get(d)!)),
  'A.loadIncremental(A.init())': (ids) =>
    void ids.forEach((d) => A.loadIncremental(A.init(), day.docs.get(d)!)),
  'A.diff from no heads': (ids) => {
    const docs = ids.map((d) => A.load(day.docs.get(d)!))
    const t = now()
    for (const doc of docs) A.diff(doc, [], A.getHeads(doc))
    return void (diffOnly = now() - t)
  },
  'repo.import (fresh Repo)': async (ids) => {
    const repo = repoOf()
    for (const d of ids) repo.import(day.docs.get(d)!, { docId: d })
    await repo.shutdown()
  },
  'repo.find from storage (fresh Repo)': async (ids) => {
    const repo = repoOf(new NodeFSStorageAdapter(dir))
    await Promise.all(ids.map((d) => repo.find(d)))
    await repo.shutdown()
  },
}
let diffOnly = 0

console.log(`${orders} orders, ${rounds} rounds, load hook ${hooked ? 'on' : 'off'}`)
for (const [group, ids] of Object.entries(groups)) {
  for (const [way, run] of Object.entries(ways)) {
    const times: number[] = []
    for (let r = 0; r < rounds + 1; r++) {
      const t = now()
      await run(ids)
      const ms = way === 'A.diff from no heads' ? diffOnly : now() - t
      if (r > 0) times.push(ms) // the first round warms up
    }
    const m = median(times)
    console.log(`${group.padEnd(28)} ${way.padEnd(38)} ${m.toFixed(1).padStart(8)} ms`)
  }
}
await rm(dir, { recursive: true, force: true })
