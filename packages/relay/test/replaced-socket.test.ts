// Issue 17: a device whose socket is replaced (4010) by its own new socket mid-exchange must still
// get what the relay sent on the old one, and what comes after. The relay keeps a document's
// sync state per peer id; changes it sent on a socket nobody heard stay in that state's
// `sentHashes`, and Automerge never sends a change twice from one sync state.
import { Repo, type PeerId } from '@automerge/automerge-repo'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RunningRelay } from '../src/server.js'
import { findEventually, openDevice, tokenFor, until, type TestDoc } from './helpers/devices.js'
import { runCleanups } from './helpers/relay-process.js'
import { startTestRelay } from './helpers/test-relay.js'
import { SwitchableClient } from './helpers/switchable-client.js'

let relay: RunningRelay
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  relay = await startTestRelay(cleanups, { allowQueryToken: true })
})

afterAll(() => runCleanups(cleanups))

const lines = (doc: TestDoc | undefined): string[] => Object.keys(doc?.lines ?? {}).sort()

test('a device whose socket is replaced by its own new socket mid-exchange gets the change sent on the old one and the next, and its last write on the old one arrives', async () => {
  const writer = await openDevice(relay.syncUrl, 'till-1', 's1')
  cleanups.push(() => writer.close())
  await until(() => writer.repo.peers.length > 0, 'writer joined')
  const order = writer.repo.create<TestDoc>({ storeId: 's1', kind: 'order', lines: {} })
  order.change((d) => {
    d.lines.l1 = { item: 'soup', by: 'till-1' }
  })

  const link = new SwitchableClient(relay.syncUrl, await tokenFor('till-2', 's1'))
  const reader = new Repo({ peerId: 'till-2' as PeerId, network: [link] })
  cleanups.push(async () => {
    await reader.shutdown().catch(() => {})
  })
  await link.whenReady()
  const seen = await findEventually(reader, order.url, 'order on the reader')
  await until(() => lines(seen.doc()).includes('l1'), 'reader has l1')

  // The reader's link dies in the relay -> device direction; the relay sends l2 into it.
  link.deafen()
  const lost = link.lostDocumentFrames
  order.change((d) => {
    d.lines.l2 = { item: 'bread', by: 'till-1' }
  })
  await until(() => link.lostDocumentFrames > lost, 'the relay sent l2 on the deaf socket')

  // The device writes on the old socket just before it opens a new one with the same peer id:
  // the relay replaces the old socket and still handles the frame that was on its way.
  seen.change((d) => {
    d.lines.r1 = { item: 'water', by: 'till-2' }
  })
  await link.replace()
  await until(() => lines(seen.doc()).includes('l2'), 'reader has l2 after the replace')
  order.change((d) => {
    d.lines.l3 = { item: 'wine', by: 'till-1' }
  })
  await until(() => lines(seen.doc()).includes('l3'), 'reader has l3')
  await until(() => lines(order.doc()).includes('r1'), 'writer has r1 from the old socket')
  expect(lines(seen.doc())).toEqual(['l1', 'l2', 'l3', 'r1'])
}, 60_000)
