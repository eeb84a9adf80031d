// automerge-repo 2.5.6 waits up to 100 ms between two sync messages of a document; the patch in
// patches/ (applied by `npm install`) makes that an option, which devices set to 0 by default.
import { Repo, type DocHandle } from '@automerge/automerge-repo/slim'
import { expect, test } from 'vitest'
import { openDevice } from '../src/index.js'

function throttleOf(repo: Repo, handle: DocHandle<unknown>): number | undefined {
  return repo.synchronizer.docSynchronizers[handle.documentId]?.syncDebounceRate
}

test('the automerge-repo patch is applied: Repo takes a syncDebounceRate', () => {
  const repo = new Repo({ network: [], syncDebounceRate: 7 })
  const handle = repo.create({ n: 1 })
  expect(throttleOf(repo, handle), 'patches/ not applied: run npm install').toBe(7)
})

test('a device sends a change at once by default, or with the throttle it is given', async () => {
  const quick = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
  const slow = await openDevice({
    deviceId: 'till-2',
    storage: 'memory',
    reopen: false,
    syncThrottleMs: 40,
  })
  expect(throttleOf(quick.repo, quick.repo.create({ n: 1 }))).toBe(0)
  expect(throttleOf(slow.repo, slow.repo.create({ n: 1 }))).toBe(40)
  await quick.close()
  await slow.close()
})
