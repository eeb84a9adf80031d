// The device's clock absorbs the stamps of what other devices write, and does not read a whole
// order after its own commands (issue 15: that read cost more than the rest of a command's
// bookkeeping, for stamps its own clock made).
import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import * as core from '@tabsync/core'
import { addLine, createHybridClock, hlcMs, type OrderDoc } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test, vi } from 'vitest'
import { openDevice } from '../src/index.js'

vi.mock('@tabsync/core', async (importOriginal) => {
  const actual = await importOriginal<typeof core>()
  return { ...actual, latestStamp: vi.fn(actual.latestStamp) }
})

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

test("a device's own command is not read back for the clock; a line another device stamped later is absorbed", async () => {
  const d = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
  cleanups.push(() => d.close())
  await d.createStore({ ...demoStoreInit('store-1', () => ''), tables: DEMO_TABLES })
  const { url } = await d.openOrder('t1')
  const stamps = vi.mocked(core.latestStamp)
  stamps.mockClear()
  await d.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  expect(stamps).not.toHaveBeenCalled()

  // Another till, its clock ten minutes ahead (within the forward bound), adds a line.
  const handle = await d.repo.find<OrderDoc>(url)
  const ahead = createHybridClock({ node: 'till-2', wallClock: () => Date.now() + 600_000 })
  const ctx = { ...d.context(), deviceId: 'till-2', clock: ahead }
  const notAfter = ahead.now() // the line's stamp is later than this
  const other = A.change(
    A.clone(handle.doc(), { actor: 'abcdef0102' }),
    (doc) => void addLine(doc, ctx, { itemId: 'beer' }),
  )
  ;(handle as DocHandle<OrderDoc>).update(
    (doc) => A.applyChanges(doc, [A.getLastLocalChange(other)!])[0],
  )
  expect(stamps).toHaveBeenCalledTimes(1)
  // The next stamp this device makes is after the one it saw (its wall clock is 10 min behind).
  expect(hlcMs(d.clock.now())).toBeGreaterThanOrEqual(hlcMs(notAfter))
})
