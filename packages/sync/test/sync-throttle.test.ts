// automerge-repo 2.5.6 waits up to 100 ms between two sync messages of a document and has no
// option for it; setSyncThrottle sets it per Repo at run time (no patch step), and devices use 0.
import { Repo, type PeerId } from '@automerge/automerge-repo/slim'
import { expect, test } from 'vitest'
import {
  openDevice,
  setSyncThrottle,
  STOCK_SYNC_THROTTLE_MS,
  SyncThrottleMode,
  syncThrottleOf,
} from '../src/index.js'
import { createSimNetwork } from '../src/testing/index.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

/** Two repos linked in memory; counts the sync messages `a` sends for one document. */
function linkedPair(throttleMs: number | undefined) {
  const net = createSimNetwork({ seed: 1 })
  const a = new Repo({ network: [net.adapter('a' as PeerId)], peerId: 'a' as PeerId })
  const b = new Repo({ network: [net.adapter('b' as PeerId)], peerId: 'b' as PeerId })
  if (throttleMs !== undefined) setSyncThrottle(a, throttleMs)
  net.link('a', 'b')
  const sent: unknown[] = []
  a.synchronizer.on('message', (m) => {
    if (m.type === 'sync') sent.push(m)
  })
  return { a, b, sent }
}

test('setSyncThrottle works on stock automerge-repo: it reports the run-time hook', () => {
  const repo = new Repo({ network: [] })
  expect(setSyncThrottle(repo, 7)).toBe(SyncThrottleMode.hook)
  const handle = repo.create({ n: 1 })
  expect(syncThrottleOf(repo, handle.documentId)).toBe(7)
})

test('a Repo nobody set keeps the stock 100 ms throttle beside a hooked one', () => {
  const hooked = new Repo({ network: [] })
  setSyncThrottle(hooked, 0)
  const stock = new Repo({ network: [] })
  expect(syncThrottleOf(stock, stock.create({ n: 1 }).documentId)).toBe(STOCK_SYNC_THROTTLE_MS)
  expect(syncThrottleOf(hooked, hooked.create({ n: 1 }).documentId)).toBe(0)
})

test('a negative or non-finite throttle is refused with a RangeError', () => {
  expect(() => setSyncThrottle(new Repo({ network: [] }), -1)).toThrow(RangeError)
  expect(() => setSyncThrottle(new Repo({ network: [] }), Number.NaN)).toThrow(RangeError)
})

test('with throttle 0 every tap of a burst leaves in its own sync message', async () => {
  const { a, b, sent } = linkedPair(0)
  while (a.peers.length === 0) await tick()
  const handle = a.create<{ taps: number[] }>({ taps: [] })
  await tick()
  const before = sent.length
  const taps = 10
  for (let i = 0; i < taps; i++) {
    handle.change((d) => void d.taps.push(i))
    await tick()
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(sent.length - before).toBeGreaterThanOrEqual(taps)
  await a.shutdown()
  await b.shutdown()
})

test('a device sends a change at once by default, or with the throttle it is given', async () => {
  const quick = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
  const slow = await openDevice({
    deviceId: 'till-2',
    storage: 'memory',
    reopen: false,
    syncThrottleMs: 40,
  })
  expect(syncThrottleOf(quick.repo, quick.repo.create({ n: 1 }).documentId)).toBe(0)
  expect(syncThrottleOf(slow.repo, slow.repo.create({ n: 1 }).documentId)).toBe(40)
  await quick.close()
  await slow.close()
})
