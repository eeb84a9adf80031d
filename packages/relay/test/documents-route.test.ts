// POST /documents: a cold device fetches many saved documents in one request, only its store's,
// and its store's floor of the day (store, table-days, open checks) in its first request.
import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  type AutomergeUrl,
  type BinaryDocumentId,
} from '@automerge/automerge-repo'
import {
  businessDate,
  fileDayRef,
  initStoreDoc,
  newId,
  setOrderHint,
  type TableDayDoc,
} from '@tabsync/core'
import { demoStoreInit } from '@tabsync/core/demo'
import { decodeBundle, tableDayChange, tableDayIdBytes } from '@tabsync/core/internal'
import { afterEach, expect, test } from 'vitest'
import { type RunningRelay } from '../src/server.js'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDoc,
} from './helpers/devices.js'
import { runCleanups } from './helpers/relay-process.js'
import { startTestRelay } from './helpers/test-relay.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

function idOf(url: AutomergeUrl): string {
  return url.slice('automerge:'.length)
}

async function fetchDocuments(relay: RunningRelay, token: string, body: unknown) {
  return fetch(`${relay.url}/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** A relay holding `count` documents of store-a (3 lines each) and one of store-b. */
async function relayWithDocuments(count: number, idleUnloadMs = 0) {
  const relay = await startTestRelay(cleanups, {
    allowQueryToken: true,
    idleUnloadMs,
  })
  const till = await openDevice(relay.syncUrl, 'till-1', 'store-a')
  const other = await openDevice(relay.syncUrl, 'b-till', 'store-b')
  cleanups.push(
    () => till.close(),
    () => other.close(),
  )
  const urls: AutomergeUrl[] = []
  for (let n = 0; n < count; n++) {
    const h = till.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
    for (let i = 0; i < 3; i++) {
      h.change((d) => {
        d.lines[`l${i}`] = { item: `dish-${i}`, by: 'till-1' }
      })
    }
    urls.push(h.url)
  }
  const foreign = other.repo.create<TestDoc>({ kind: 'order', storeId: 'store-b', lines: {} }).url
  // On the relay: a second store-a device received every line through it.
  const witness = await openDevice(relay.syncUrl, 'till-w', 'store-a')
  cleanups.push(() => witness.close())
  for (const url of urls) {
    const copy = await findEventually(witness.repo, url, 'document through the relay')
    await until(() => lineCount(copy) === 3, 'every line through the relay')
  }
  const otherWitness = await openDevice(relay.syncUrl, 'b-w', 'store-b')
  cleanups.push(() => otherWitness.close())
  await findEventually(otherWitness.repo, foreign, 'store-b document through the relay')
  return { relay, urls, foreign }
}

test('a device gets its store documents in one bundle, whole; other stores and unknown ids are left out', async () => {
  const { relay, urls, foreign } = await relayWithDocuments(6)
  const token = await tokenFor('till-new', 'store-a')
  const ids = [...urls.map(idOf), idOf(foreign), '2unknownDocumentxyz']
  const res = await fetchDocuments(relay, token, { ids })
  expect(res.status).toBe(200)
  const docs = decodeBundle(new Uint8Array(await res.arrayBuffer()))
  expect(docs.map((d) => d.documentId).sort()).toEqual(urls.map(idOf).sort())
  for (const d of docs) {
    const doc = A.load<TestDoc>(d.bytes)
    expect(doc.storeId).toBe('store-a')
    expect(Object.keys(doc.lines).sort()).toEqual(['l0', 'l1', 'l2'])
  }
  // The store-b device asking for the same ids gets only its own document.
  const bRes = await fetchDocuments(relay, await tokenFor('b-new', 'store-b'), { ids })
  const bDocs = decodeBundle(new Uint8Array(await bRes.arrayBuffer()))
  expect(bDocs.map((d) => d.documentId)).toEqual([idOf(foreign)])
}, 60_000)

test('documents unloaded from memory come from storage, whole', async () => {
  const { relay, urls } = await relayWithDocuments(3, 100)
  await until(() => Object.keys(relay.repo.handles).length === 0, 'documents unloaded')
  const res = await fetchDocuments(relay, await tokenFor('till-new', 'store-a'), {
    ids: urls.map(idOf),
  })
  const docs = decodeBundle(new Uint8Array(await res.arrayBuffer()))
  expect(docs).toHaveLength(3)
  for (const d of docs) expect(Object.keys(A.load<TestDoc>(d.bytes).lines)).toHaveLength(3)
}, 60_000)

test('bad token 401, bad body 400, too many ids 400, huge body 413; the relay keeps serving', async () => {
  const { relay, urls } = await relayWithDocuments(1)
  const token = await tokenFor('till-new', 'store-a')
  expect((await fetchDocuments(relay, 'nope', { ids: [idOf(urls[0]!)] })).status).toBe(401)
  expect((await fetchDocuments(relay, token, '{"ids": [')).status).toBe(400)
  expect((await fetchDocuments(relay, token, { ids: ['../../etc/passwd'] })).status).toBe(400)
  expect((await fetchDocuments(relay, token, { ids: [] })).status).toBe(400)
  const many = Array.from({ length: 501 }, (_, i) => `doc${i}`)
  expect((await fetchDocuments(relay, token, { ids: many })).status).toBe(400)
  expect((await fetchDocuments(relay, token, { ids: ['a'.repeat(70_000)] })).status).toBe(413)
  const ok = await fetchDocuments(relay, token, { ids: [idOf(urls[0]!)] })
  expect(decodeBundle(new Uint8Array(await ok.arrayBuffer()))).toHaveLength(1)
}, 60_000)

test('a device over its /documents budget gets 429 rate-limited; other devices are still served', async () => {
  // A budget of 3 at once that (practically) never refills: no timing in the assertions.
  const relay = await startTestRelay(cleanups, {
    limits: { documentsBurst: 3, documentsPerSecond: 0.0001 },
  })
  const greedy = await tokenFor('till-greedy', 'store-a')
  const body = { ids: ['4NMNnkMhL8jXrdJ9jamS58PAVdXu'] }
  for (let i = 0; i < 3; i++) expect((await fetchDocuments(relay, greedy, body)).status).toBe(200)
  const refused = await fetchDocuments(relay, greedy, body)
  expect(refused.status).toBe(429)
  expect(refused.headers.get('retry-after')).toBe('1')
  expect(await refused.json()).toEqual({ error: 'rate-limited' })
  expect((await fetchDocuments(relay, await tokenFor('till-2', 'store-a'), body)).status).toBe(200)
  expect(await relay.metrics.render()).toContain(
    'tabsync_relay_denials_total{reason="documents-rate-limited"} 1',
  )
}, 60_000)

/**
 * A store on table-days on the relay, made by its back office: t1's table-day holds an open
 * check (no hint) and a closed one, t2's a check hinted open; t3 has no table-day yet.
 */
async function relayWithFloor(storeId: string, at: number) {
  const relay = await startTestRelay(cleanups, { allowQueryToken: true })
  const office = await openDevice(
    relay.syncUrl,
    `office-${storeId}`,
    storeId,
    undefined,
    'backoffice',
  )
  cleanups.push(() => office.close())
  const init = demoStoreInit(storeId, () => 'automerge:2unknownDocumentxyz')
  const date = businessDate(at, init)
  const store = office.repo.create(initStoreDoc({ ...init, tableDaysFrom: date }))
  const order = () => {
    const h = office.repo.create<TestDoc>({ kind: 'order', storeId, lines: {} })
    const ref = {
      orderId: newId(),
      url: h.url,
      businessDate: date,
      openedAt: `${at}-00000-office`,
      openedBy: 'office',
    }
    return { url: h.url, ref }
  }
  const open = order()
  const closed = order()
  const hinted = order()
  const days: AutomergeUrl[] = []
  for (const [tableId, refs] of [
    ['t1', [open, closed]],
    ['t2', [hinted]],
  ] as const) {
    const docId = interpretAsDocumentId(
      (await tableDayIdBytes(storeId, tableId, date)) as BinaryDocumentId,
    )
    const day = office.repo.import<TableDayDoc>(tableDayChange(storeId, tableId, date), { docId })
    day.doneLoading() // as a device makes a table-day (sync's table-days.ts)
    day.change((d) => {
      for (const o of refs) fileDayRef(d, o.ref as never)
      setOrderHint(d, closed.ref.orderId, 'closed')
      setOrderHint(d, hinted.ref.orderId, 'open')
    })
    days.push(day.url)
  }
  const all = [store.url, ...days, open.url, closed.url, hinted.url].map(idOf)
  const token = await tokenFor(`office-${storeId}`, storeId, 'backoffice')
  await until(async () => {
    const res = await fetchDocuments(relay, token, { ids: all })
    return decodeBundle(new Uint8Array(await res.arrayBuffer())).length === all.length
  }, 'every document of the floor on the relay')
  return { relay, store: idOf(store.url), days: days.map(idOf), open, closed, hinted }
}

test('a floor request gives the store, its table-days of the day and the checks not hinted closed; a token of another store gets none of them', async () => {
  const at = Date.parse('2026-12-03T12:00:00Z')
  const f = await relayWithFloor('store-a', at)
  const floor = { store: f.store, at }
  const res = await fetchDocuments(f.relay, await tokenFor('till-new', 'store-a'), {
    ids: [f.store],
    floor,
  })
  expect(res.status).toBe(200)
  const got = decodeBundle(new Uint8Array(await res.arrayBuffer()))
  expect(got.map((d) => d.documentId).sort()).toEqual(
    [f.store, ...f.days, idOf(f.open.url), idOf(f.hinted.url)].sort(),
  )
  // Each once, though the store is both asked for and the floor's.
  expect(new Set(got.map((d) => d.documentId)).size).toBe(got.length)
  // Another store's device naming this store gets nothing, floor or ids.
  const foreign = await fetchDocuments(f.relay, await tokenFor('b-till', 'store-b'), {
    ids: [f.store],
    floor,
  })
  expect(foreign.status).toBe(200)
  expect(decodeBundle(new Uint8Array(await foreign.arrayBuffer()))).toEqual([])
  // Another day (the day before, by the store's rule) has no table-days: the store alone.
  const before = await fetchDocuments(f.relay, await tokenFor('till-new', 'store-a'), {
    ids: [f.store],
    floor: { store: f.store, at: at - 86_400_000 },
  })
  expect(decodeBundle(new Uint8Array(await before.arrayBuffer())).map((d) => d.documentId)).toEqual(
    [f.store],
  )
  // A malformed floor is a bad request, and the relay keeps serving.
  const bad = await fetchDocuments(f.relay, await tokenFor('till-new', 'store-a'), {
    ids: [f.store],
    floor: { store: '../x', at: -1 },
  })
  expect(bad.status).toBe(400)
}, 60_000)
