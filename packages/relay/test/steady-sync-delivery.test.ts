// @tabsync/protocol's steady-sync-delivery.ts on real automerge-repo Repos (in-memory links): a
// steady sync message goes straight to its document's synchronizer instead of a share-config
// round over every connected peer, every change still reaches every device, a peer entitled
// after it asked still gets the document once the share version moves, and a Repo that did not
// opt in is untouched. (In protocol's README; tested here because protocol does not depend on
// automerge-repo.)
import type { AutomergeUrl, DocHandle, PeerId, Repo } from '@automerge/automerge-repo'
import { deliverSteadySyncDirectly, steadySyncDelivered } from '@tabsync/protocol'
import { afterEach, expect, test } from 'vitest'
import { until } from './helpers/devices.js'
import { memoryStar, type MemoryStar } from './helpers/memory-star.js'
import { NotARepo } from './helpers/not-a-repo.js'

type Counter = { n: number[] }

const stars: MemoryStar[] = []
afterEach(async () => {
  await Promise.all(stars.splice(0).map((s) => s.shutdown()))
})

/** `url` on `device` once the relay holds it (a find before that is answered unavailable). */
async function copyOn(device: Repo, url: AutomergeUrl): Promise<DocHandle<Counter>> {
  const handle = await device.find<Counter>(url)
  await handle.whenReady()
  return handle
}

/** A star of `count` devices whose first device created a document every device has open. */
async function sharedDocument(
  star: MemoryStar,
): Promise<{ handles: DocHandle<Counter>[]; url: AutomergeUrl }> {
  await until(() => star.relay.peers.length === star.devices.length, 'every device linked')
  const [first, ...others] = star.devices as [Repo, ...Repo[]]
  const created = first.create<Counter>({ n: [] })
  await until(
    () => star.relay.handles[created.documentId]?.isReady() === true,
    'the document on the relay',
  )
  const copies = await Promise.all(others.map((d) => copyOn(d, created.url)))
  return { handles: [created, ...copies], url: created.url }
}

/** Each device in turn appends to the document; waits until every device has each value. */
async function writeInTurn(handles: DocHandle<Counter>[], changes: number): Promise<void> {
  for (let i = 1; i <= changes; i++) {
    handles[i % handles.length]!.change((d) => {
      d.n.push(i)
    })
    await until(() => handles.every((h) => h.doc().n.length === i), `change ${i} everywhere`)
  }
}

test('steady sync messages skip the share round over every peer, and every change still reaches every device', async () => {
  let shareCalls = 0
  const star = memoryStar(4, {
    announce: async () => {
      shareCalls += 1
      return false
    },
    access: async () => true,
  })
  stars.push(star)
  expect(
    deliverSteadySyncDirectly(star.relay, { mayAccess: () => true, shareVersion: () => 0 }),
  ).toBe(true)
  const { handles } = await sharedDocument(star)
  const callsBefore = shareCalls
  const syncBefore = star.received.get('sync') ?? 0
  const deliveredBefore = steadySyncDelivered(star.relay)
  await writeInTurn(handles, 12)
  const syncMessages = (star.received.get('sync') ?? 0) - syncBefore
  const calls = shareCalls - callsBefore
  const delivered = steadySyncDelivered(star.relay) - deliveredBefore
  console.log(
    `${syncMessages} sync messages in, ${delivered} delivered directly, ${calls} announce calls`,
  )
  // Stock asks `announce` about each of the 4 peers after every message: 4 calls per message.
  expect(calls).toBeLessThan(syncMessages)
  expect(delivered).toBeGreaterThanOrEqual(12)
  const relayCopy = star.relay.handles[handles[0]!.documentId] as DocHandle<Counter>
  expect(relayCopy.doc().n).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
})

test('a peer that asked while refused gets the document at the next message once the share version moves', async () => {
  let entitled = false
  let version = 0
  const mayAccess = (peerId: string): boolean => peerId !== 'till-2' || entitled
  const star = memoryStar(3, {
    announce: async () => false,
    access: async (peerId: PeerId) => mayAccess(peerId),
  })
  stars.push(star)
  expect(deliverSteadySyncDirectly(star.relay, { mayAccess, shareVersion: () => version })).toBe(
    true,
  )
  await until(() => star.relay.peers.length === 3, 'every device linked')
  const [first, second, late] = star.devices as [Repo, Repo, Repo]
  const created = first.create<Counter>({ n: [] })
  await until(
    () => star.relay.handles[created.documentId]?.isReady() === true,
    'the document on the relay',
  )
  const handles = [created, await copyOn(second, created.url)]
  await writeInTurn(handles, 4) // steady: the relay's synchronizer is marked at version 0
  // The refused device asks: the relay answers "unavailable" and remembers that it asked.
  await expect(late.find<Counter>(created.url)).rejects.toThrow(/unavailable/)
  entitled = true
  version += 1
  created.change((d) => {
    d.n.push(5)
  })
  await until(
    () => (late.handles[created.documentId] as DocHandle<Counter> | undefined)?.isReady() === true,
    'the document on the device entitled late',
  )
  await until(
    () => (late.handles[created.documentId] as DocHandle<Counter>).doc().n.length === 5,
    'every change on the device entitled late',
  )
})

test('a Repo that did not opt in keeps the stock path for every message', async () => {
  const star = memoryStar(2, { announce: async () => false, access: async () => true })
  stars.push(star)
  const { handles } = await sharedDocument(star)
  await writeInTurn(handles, 4)
  // Counted for this Repo alone: the stars of the tests before may still deliver a message.
  expect(steadySyncDelivered(star.relay)).toBe(0)
})

test('without the internals it needs, it reports false and changes nothing', () => {
  const options = { mayAccess: () => true, shareVersion: () => 0 }
  expect(deliverSteadySyncDirectly(new NotARepo(), options)).toBe(false)
})
