// A new device of a store on table-days through a real relay (issue 15): its first request
// brings the store, today's table-days and the open checks (the floor), so its open checks are
// usable after one request instead of three in a row, and the rest of the day is asked for only
// once they are open.
import type { DocumentId } from '@automerge/automerge-repo/slim'
import { addLine, closeOrder, isOnFloor, newId, takePayment } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test, vi } from 'vitest'
import { CatchUp } from '../src/docs/catch-up.js'
import { spawnRelay, tempDir } from './relay-process.js'
import { relayWithOffice, storeDevices, statusUntil } from './store-devices.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const c of cleanups.splice(0).reverse()) await c()
})

const idOf = (url: string) => url.slice('automerge:'.length) as DocumentId

interface Asked {
  what: 'request' | 'fetch' | 'phase'
  name: string
  ids: readonly string[]
  floor: boolean
}

/**
 * Records every `POST /documents` (its ids, whether it carries a floor) into `events`; returns a
 * device logger that records the cold-start phases there too.
 */
function recordRequests(events: Asked[]) {
  const realFetch = globalThis.fetch
  vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    if (String(input).endsWith('/documents')) {
      const body = JSON.parse(String(init?.body)) as { ids: string[]; floor?: unknown }
      events.push({ what: 'request', name: '', ids: body.ids, floor: body.floor !== undefined })
    }
    return realFetch(input, init)
  })
  const noop = () => undefined
  return {
    debug: (fields: object) => {
      const phase = (fields as { phase?: string }).phase
      if (phase) events.push({ what: 'phase', name: phase, ids: [], floor: false })
    },
    info: noop,
    warn: noop,
    error: noop,
  }
}

test('a new device gets its store, the day and its open checks in one request, and asks for the closed checks only once the open ones are open', async () => {
  const { open, office } = await relayWithOffice(cleanups)
  // On table-days from today (createStore's default).
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const first = await office.openOrder('t1')
  await office.run(first.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  const second = await office.openOrder('t2')
  await office.run(second.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' }))
  const paid = await office.openOrder('t3')
  await office.run(paid.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' }))
  const due = (await office.orderSummary(paid.url)).totals.balance
  await office.run(paid.url, (doc, ctx) =>
    takePayment(doc, ctx, { key: newId(), tender: 'card', amount: due }),
  )
  await office.run(paid.url, (doc, ctx) => closeOrder(doc, ctx)) // hinted closed
  await statusUntil(office, (s) => s.unsynced === 0)
  const date = office.businessDate()

  // What the new device asks the relay for, in order with its cold-start phases.
  const events: Asked[] = []
  // Asked of the catch-up (in program order, whatever its requests then wait for).
  const realCatchUp = CatchUp.prototype.fetch
  vi.spyOn(CatchUp.prototype, 'fetch').mockImplementation(function (this: CatchUp, ids, options) {
    events.push({ what: 'fetch', name: '', ids, floor: false })
    return realCatchUp.call(this, ids, options)
  })
  const logger = recordRequests(events)
  const till = await open('till-1', { storeUrl, logger })
  await till.ready()
  const day = await till.loadDay(date)

  expect(day.missing).toEqual([])
  expect(day.orders.map((o) => o.url).sort()).toEqual([first.url, second.url, paid.url].sort())
  expect(
    day.orders
      .filter((o) => isOnFloor(o.summary))
      .map((o) => o.url)
      .sort(),
  ).toEqual([first.url, second.url].sort())
  const opened = events.findIndex((e) => e.name === 'first-opened')
  expect(opened).toBeGreaterThan(0)
  const before = events.slice(0, opened).filter((e) => e.what === 'request')
  // One request, the store's with the floor of the day: no request for the table-days, none for
  // the open checks (three in a row before).
  expect(before).toHaveLength(1)
  expect(before[0]).toMatchObject({ ids: [idOf(storeUrl)], floor: true })
  // The closed check is asked for after the open ones are open, not while they open.
  const askedClosed = events.findIndex((e) => e.what === 'fetch' && e.ids.includes(idOf(paid.url)))
  expect(askedClosed).toBeGreaterThan(opened)
  const after = events.slice(opened).filter((e) => e.what === 'request')
  expect(after.flatMap((e) => e.ids)).toContain(idOf(paid.url))
}, 90_000)

test('a relay restarted mid-service (no table-day in memory) sends a floor without checks: the new device asks for them itself and misses none', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const before = await spawnRelay(data.path)
  const office = await storeDevices(before.syncUrl, cleanups)('office-1')
  await statusUntil(office, (s) => s.state === 'online')
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const open = await Promise.all(['t1', 't2', 't4'].map((t) => office.openOrder(t)))
  for (const o of open) await office.run(o.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  await statusUntil(office, (s) => s.unsynced === 0)
  const date = office.businessDate()
  // Nothing keeps the day's table-days in the new relay process's memory.
  await office.close()
  await before.stop()
  const relay = await spawnRelay(data.path, { port: before.port })
  cleanups.push(() => relay.stop())

  const events: Asked[] = []
  const logger = recordRequests(events)
  const till = await storeDevices(relay.syncUrl, cleanups)('till-1', { storeUrl, logger })
  await till.ready()
  const day = await till.loadDay(date)

  expect(day.missing).toEqual([])
  const onFloor = day.orders.filter((o) => isOnFloor(o.summary)).map((o) => o.url)
  expect(onFloor.sort()).toEqual(open.map((o) => o.url).sort())
  const opened = events.findIndex((e) => e.name === 'first-opened')
  const asked = events.slice(0, opened).filter((e) => e.what === 'request')
  // The floor request first; the checks it could not hint come in the device's own request.
  expect(asked[0]).toMatchObject({ ids: [idOf(storeUrl)], floor: true })
  expect(asked.slice(1).flatMap((e) => e.ids)).toEqual(
    expect.arrayContaining(open.map((o) => idOf(o.url))),
  )
}, 90_000)
