// Opening a device finds automerge-repo's internals (the sync throttle, the begin-sync guard and
// the load hook each probe a throwaway Repo) without creating a document: creating one commits a
// change, and a page's first commit compiles Automerge's commit path before a start that only
// loads documents needs it. Each test file runs in its own module state, so the probes run here.
import { Repo } from '@automerge/automerge-repo/slim'
import { loadHookStats } from '@tabsync/protocol'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type Device } from '../src/index.js'

const stockCreate = Object.getOwnPropertyDescriptor(Repo.prototype, 'create')!
let device: Device | undefined
afterEach(async () => {
  Object.defineProperty(Repo.prototype, 'create', stockCreate)
  await device?.close()
})

test('opening a device probes automerge-repo without creating a document, and its hooks take effect', async () => {
  let created = 0
  const create = stockCreate.value as (this: Repo, ...args: unknown[]) => unknown
  Object.defineProperty(Repo.prototype, 'create', {
    ...stockCreate,
    value: function (this: Repo, ...args: unknown[]) {
      created++
      return create.apply(this, args)
    },
  })
  device = await openDevice({ deviceId: 'till-1', storage: 'memory' })
  expect(created).toBe(0)
  // The probes found what they look for: the load hook is installed on the device's Repo.
  expect(loadHookStats(device.repo)).toBeDefined()
})
