// Document ids bound to their store: the squat sequence. Store A creates an order offline; store B
// learns its id and pushes its own content under it first. B is refused (4011) and nothing of it
// is stored; A's order then syncs normally to A's other devices.
import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  type BinaryDocumentId,
  type DocHandle,
  type DocumentId,
  type Repo,
} from '@automerge/automerge-repo'
import { storeBoundIdBytes } from '@tabsync/core/internal'
import { afterEach, expect, test } from 'vitest'
import { CloseCode } from '@tabsync/protocol'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDoc,
} from './helpers/devices.js'
import { closeCode, connectRaw, join as joinAs, sendFrame } from './helpers/raw-client.js'
import { runCleanups, spawnRelay, tempDir } from './helpers/relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

/** Puts `doc` into `repo` under `documentId`, as @tabsync/sync's createStoreBoundDoc does. */
function importAs(repo: Repo, documentId: DocumentId, doc: TestDoc): DocHandle<TestDoc> {
  const handle = repo.import<TestDoc>(A.save(A.from(doc as unknown as Record<string, unknown>)), {
    docId: documentId,
  })
  handle.doneLoading()
  return handle
}

test('store B pushing first under store A’s offline order id is refused; A’s order then syncs normally', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(['--port', '0', '--data', data.path])
  cleanups.push(() => relay.stop())
  const id = interpretAsDocumentId((await storeBoundIdBytes('store-a')) as BinaryDocumentId)

  // Store B, first on the relay with that id, raw: one sync message with its own content.
  const squat = A.from<Record<string, unknown>>({ kind: 'order', storeId: 'store-b', lines: {} })
  const outcome = await connectRaw(relay.syncUrl, await tokenFor('till-b', 'store-b'))
  if (outcome.kind !== 'open') throw new Error('expected a socket')
  const closed = closeCode(outcome.socket)
  const relayPeer = await joinAs(outcome.socket, 'till-b')
  // Its whole content at once (a sync message's first round carries only heads).
  const message = A.encodeSyncMessage({
    heads: A.getHeads(squat),
    need: [],
    have: [],
    changes: A.getAllChanges(squat),
  })
  sendFrame(outcome.socket, {
    type: 'sync',
    senderId: 'till-b',
    targetId: relayPeer,
    documentId: id,
    data: message,
  })
  expect(await closed).toBe(CloseCode.documentIdRefused)
  const metrics = await (await fetch(`${relay.url}/metrics`)).text()
  expect(metrics).toContain('tabsync_relay_denials_total{reason="document-id-refused"} 1')

  // Store A's device comes online with the order it created offline under that id.
  const tillA = await openDevice(relay.syncUrl, 'till-a1', 'store-a')
  cleanups.push(() => tillA.close())
  const order = importAs(tillA.repo, id, {
    kind: 'order',
    storeId: 'store-a',
    lines: { l1: { item: 'soup', by: 'till-a1' } },
  })
  order.change((d) => {
    d.lines['l2'] = { item: 'bread', by: 'till-a1' }
  })
  const other = await openDevice(relay.syncUrl, 'till-a2', 'store-a')
  cleanups.push(() => other.close())
  const seen = await findEventually(other.repo, order.url, 'A’s order on A’s other till')
  await until(() => lineCount(seen) === 2, 'both lines of A’s order')
  expect(seen.doc().storeId).toBe('store-a')
})

test('a document with an old random id is still owned by the first store that brings it', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(['--port', '0', '--data', data.path])
  cleanups.push(() => relay.stop())
  const till = await openDevice(relay.syncUrl, 'till-1', 'store-a')
  cleanups.push(() => till.close())
  const legacy = till.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  legacy.change((d) => {
    d.lines['l1'] = { item: 'tea', by: 'till-1' }
  })
  const reader = await openDevice(relay.syncUrl, 'till-2', 'store-a')
  cleanups.push(() => reader.close())
  const seen = await findEventually(reader.repo, legacy.url, 'legacy order')
  await until(() => lineCount(seen) === 1, 'the legacy order’s line')
})
