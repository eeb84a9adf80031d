// automerge-repo's acceptance tests for the storage adapters written here, plus the crash model.
import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import { expect, test } from 'vitest'
import { MemoryStorageAdapter } from '../src/index.js'
import { createCrashableStorage, fuzzSeed, seededRandom } from '../src/testing/index.js'

runStorageAdapterTests(
  async () => ({ adapter: new MemoryStorageAdapter() }),
  'MemoryStorageAdapter',
)
runStorageAdapterTests(
  async () => ({ adapter: createCrashableStorage({ minWriteMs: 0, maxWriteMs: 1 }).adapter() }),
  'crashable storage',
)

test('a crash keeps completed writes, loses the rest, and the old adapter is dead', async () => {
  const disk = createCrashableStorage({ random: seededRandom(3), minWriteMs: 1, maxWriteMs: 5 })
  const before = disk.adapter()
  await before.save(['doc', 'snapshot', 'a'], new Uint8Array([1]))
  const lost = before.save(['doc', 'snapshot', 'b'], new Uint8Array([2]))
  let lostSettled = false
  void lost.then(() => (lostSettled = true))
  // The process still reads its own unflushed write (page cache)...
  expect(await before.load(['doc', 'snapshot', 'b'])).toEqual(new Uint8Array([2]))
  disk.crash()
  // ...but after the crash only the completed write exists.
  const after = disk.adapter()
  expect(await after.load(['doc', 'snapshot', 'a'])).toEqual(new Uint8Array([1]))
  expect(await after.load(['doc', 'snapshot', 'b'])).toBeUndefined()
  expect(disk.durableKeys()).toEqual([['doc', 'snapshot', 'a']])
  await new Promise((r) => setTimeout(r, 20))
  expect(lostSettled).toBe(false)
  // Writes complete in the order they were issued, so a later write never loses to an earlier one.
  await Promise.all([
    after.save(['k'], new Uint8Array([1])),
    after.save(['k'], new Uint8Array([2])),
    after.remove(['doc', 'snapshot', 'a']),
  ])
  disk.crash()
  expect(await disk.adapter().load(['k'])).toEqual(new Uint8Array([2]))
  expect(await disk.adapter().load(['doc', 'snapshot', 'a'])).toBeUndefined()
})

test('writes complete in issue order even when the wall clock moves between them (the crash test flaked on it)', async () => {
  // Real timers on purpose: the bug was Date.now() and the timers' clock disagreeing. The seed
  // replays the latencies; the clock's ticks are the machine's.
  const seed = fuzzSeed()
  for (let round = 0; round < 40; round++) {
    const disk = createCrashableStorage({
      random: seededRandom(seed + round),
      minWriteMs: 1,
      maxWriteMs: 5,
    })
    const adapter = disk.adapter()
    const completed: number[] = []
    const writes: Promise<void>[] = []
    for (let value = 1; value <= 10; value++) {
      writes.push(
        adapter.save(['k'], new Uint8Array([value])).then(() => void completed.push(value)),
      )
      const tick = Date.now()
      while (Date.now() === tick); // the wall clock moves between writes, as on a loaded machine
    }
    await Promise.all(writes)
    disk.crash()
    const survivor = await disk.adapter().load(['k'])
    const replay = `round ${round}, replay with TABSYNC_SEED=${seed}`
    expect(completed, replay).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(survivor, replay).toEqual(new Uint8Array([10]))
  }
})
