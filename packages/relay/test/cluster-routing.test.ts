import type { AutomergeUrl } from '@automerge/automerge-repo'
import { expect, test } from 'vitest'
import { CloseCode } from '@tabsync/protocol'
import { useTestCluster } from './helpers/cluster.js'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDoc,
} from './helpers/devices.js'
import { closeCode, connectRaw } from './helpers/raw-client.js'

const cluster = useTestCluster()
const node = (nodeId: string) => cluster.node(nodeId)

test('a non-owner sends a device to the owner; after the owner stops, another node serves the store from PostgreSQL alone', async () => {
  const a = await node('a')
  const b = await node('b')

  // A device of store s1 reaches node a first: a takes the store.
  const till = await openDevice(a.syncUrl, 'till-1', 's1')
  cluster.defer(() => till.close())
  await until(() => till.repo.peers.length > 0, 'till connected to a')
  const handle = till.repo.create<TestDoc>({ storeId: 's1', kind: 'order', lines: {} })
  for (let i = 0; i < 5; i++) {
    handle.change((d) => {
      d.lines[`l${i}`] = { item: 'pasta', by: 'till-1' }
    })
  }
  await until(async () => {
    const onA = a.repo.handles[handle.documentId]
    return onA?.isReady() === true && Object.keys((onA.doc() as TestDoc).lines).length === 5
  }, 'five lines on node a')
  expect(a.cluster?.leases.heldStores()).toEqual(['s1'])

  // The same store on node b: the socket is closed with "moved" and a's URL.
  const raw = await connectRaw(b.syncUrl, await tokenFor('till-2', 's1'))
  expect(raw.kind).toBe('open')
  if (raw.kind !== 'open') return
  const reason = new Promise<string>((r) => raw.socket.once('close', (_c, why) => r(String(why))))
  expect(await closeCode(raw.socket)).toBe(CloseCode.moved)
  expect(await reason).toBe(a.syncUrl)
  expect(b.cluster?.leases.heldStores()).toEqual([])

  // Another store is served where it lands.
  const other = await connectRaw(b.syncUrl, await tokenFor('till-9', 's2'))
  expect(other.kind).toBe('open')
  if (other.kind === 'open') other.socket.close()
  await until(() => b.cluster?.leases.heldStores().includes('s2') === true, 'b serves s2')

  // Node a stops (flush, then its leases are released): b serves s1 from what a stored.
  await till.close()
  await a.close()
  const late = await openDevice(b.syncUrl, 'till-3', 's1')
  cluster.defer(() => late.close())
  const seen = await findEventually(late.repo, handle.url as AutomergeUrl, 's1 document on b')
  expect(lineCount(seen)).toBe(5)
  expect(b.cluster?.leases.heldStores().sort()).toEqual(['s1', 's2'])
  // Ownership came from PostgreSQL too: a device of s2 on b gets nothing of s1's document.
  const intruder = await openDevice(b.syncUrl, 'till-9', 's2')
  cluster.defer(() => intruder.close())
  await until(() => intruder.repo.peers.length > 0, 'intruder connected')
  await expect(intruder.repo.find(handle.url as AutomergeUrl)).rejects.toThrow(/unavailable/)
})
