// A new device through a real relay (issue 15): it reads the table index from the bulk-fetched
// table documents without opening them, opens the checks the hints name first, and a wrong
// "closed" hint delays a check but never hides it. Its restart re-opening announces the floor
// first; a brand-new device's re-opening opens nothing it did not have.
import type { AutomergeUrl, DocumentId } from '@automerge/automerge-repo/slim'
import {
  addLine,
  closeOrder,
  isDigestOnFloor,
  isOnFloor,
  newId,
  setOrderHint,
  takePayment,
  withTableIndex,
  type TableDoc,
} from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test } from 'vitest'
import type { Device, OpenDeviceOptions } from '../src/index.js'
import { spawnRelay, tempDir } from './relay-process.js'
import { statusUntil, storeDevices } from './store-devices.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const idOf = (url: string) => url.slice('automerge:'.length) as DocumentId

/** Debug lines of a device, in order, with the table documents ready when each was logged. */
function phaseLogger(tables: () => DocumentId[], device: () => Device | undefined) {
  const lines: { phase: string; tablesOpen: number }[] = []
  const debug = (fields: object) => {
    const phase = (fields as { phase?: string }).phase
    const d = device()
    if (!phase || !d) return
    const open = tables().filter((id) => d.repo.handles[id]?.isReady()).length
    lines.push({ phase, tablesOpen: open })
  }
  const noop = () => undefined
  return { lines, logger: { debug, info: noop, warn: noop, error: noop } }
}

test('a new device reads the tables, opens the hinted checks before any table, and a wrong closed hint still shows its open check', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(data.path)
  cleanups.push(() => relay.stop())
  const openIn = storeDevices(relay.syncUrl, cleanups)
  const open = (deviceId: string, directory: string, extra: Partial<OpenDeviceOptions> = {}) =>
    openIn(deviceId, { ...extra, directory })
  const officeDir = await tempDir()
  cleanups.push(officeDir.remove)
  const office = await open('office-1', officeDir.path)
  await statusUntil(office, (s) => s.state === 'online')
  // A store not on table-days (as the previous version made them): the table documents hold
  // the day (table-days.test.ts has a store on table-days).
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
    tableDaysFrom: null,
  })
  // t4: a paid and closed check, an open one with a wrong "closed" hint (what a close merged
  // with a line added on another till leaves), and an open one with no hint.
  const paid = await office.openOrder('t4')
  await office.run(paid.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  const due = (await office.orderSummary(paid.url)).totals.balance
  await office.run(paid.url, (doc, ctx) =>
    takePayment(doc, ctx, { key: newId(), tender: 'card', amount: due }),
  )
  await office.run(paid.url, (doc, ctx) => closeOrder(doc, ctx))
  const wrong = await office.openOrder('t4')
  await office.run(wrong.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' }))
  const plain = await office.openOrder('t5')
  await office.run(plain.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' }))
  const t4 = office.store().tables['t4']!.url as AutomergeUrl
  const date = office.businessDate()
  const table = await office.repo.find<TableDoc>(t4)
  table.update((t) => withTableIndex(t, [date]))
  await office.run<boolean, TableDoc>(t4, (t) => setOrderHint(t, wrong.orderId, 'closed'))
  await statusUntil(office, (s) => s.unsynced === 0)

  const tableIds = Object.values(office.store().tables).map((t) => idOf(t.url))
  const holder: { till?: Device } = {}
  const log = phaseLogger(
    () => tableIds,
    () => holder.till,
  )
  const tillDir = await tempDir()
  cleanups.push(tillDir.remove)
  const till = await open('till-1', tillDir.path, { storeUrl, logger: log.logger })
  holder.till = till
  await till.ready()
  expect((await till.whenReopened()).documents).toBe(0) // a new device has nothing to announce
  const day = await till.loadDay(date)

  // The tables came in bulk and were read, not opened, until the first step was open.
  const phases = log.lines.map((l) => l.phase)
  expect(phases).toEqual(
    expect.arrayContaining(['tables-fetched', 'tables-read', 'first-fetched', 'first-opened']),
  )
  expect(log.lines.find((l) => l.phase === 'first-opened')?.tablesOpen).toBe(0)
  // Opened afterwards: synced and watched.
  expect(tableIds.every((id) => till.repo.handles[id]?.isReady())).toBe(true)

  const floor = day.orders.filter((o) => isOnFloor(o.summary)).map((o) => o.url)
  expect(floor.sort()).toEqual([wrong.url, plain.url].sort())
  expect(day.orders.map((o) => o.url).sort()).toEqual([paid.url, wrong.url, plain.url].sort())
  expect(day.missing).toEqual([])
  const digests = await till.dayDigests(date, { localOnly: true })
  expect(
    digests.orders
      .filter((o) => isDigestOnFloor(o.digest))
      .map((o) => o.url)
      .sort(),
  ).toEqual([wrong.url, plain.url].sort())
  await till.close()

  // The app starts again on that storage: the floor's checks are re-opened, the closed one too
  // (after them), and the floor read from the summary cache opens none of them itself.
  const again = await open('till-1', tillDir.path, { storeUrl })
  await again.ready()
  const cold = await again.dayDigests(date, { localOnly: true })
  expect(cold.opened).toBe(0)
  expect(
    cold.orders
      .filter((o) => isDigestOnFloor(o.digest))
      .map((o) => o.url)
      .sort(),
  ).toEqual([wrong.url, plain.url].sort())
  const { documents } = await again.whenReopened()
  expect(documents).toBe(1 + DEMO_TABLES.length + 3)
}, 90_000)
