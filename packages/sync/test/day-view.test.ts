// device.watchDays: the last business days followed live, over the simulated network (issue 11).
import { Repo, type AutomergeUrl, type PeerId } from '@automerge/automerge-repo'
import {
  addLine,
  attachOrder,
  closeOrder,
  newId,
  openOrder,
  takePayment,
  type TableDoc,
} from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test } from 'vitest'
import { msUntilNextDay } from '../src/device/day-view.js'
import { MemoryStorageAdapter, openDevice, type DayView, type Device } from '../src/index.js'
import { createCrashableStorage, createSimNetwork } from '../src/testing/index.js'
import { tableDayOn } from './day-refs.js'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

/** A hub and two tills on the simulated network, every clock reading `wall()`. */
async function twoTills(seed: number, wall: () => number = Date.now) {
  const net = createSimNetwork({ seed })
  const hub = new Repo({
    network: [net.adapter('hub', { kind: 'hub', time: wall })],
    peerId: 'hub' as PeerId,
    sharePolicy: async () => true,
  })
  cleanup.push(() => hub.shutdown())
  const open = async (deviceId: string, storeUrl?: AutomergeUrl) => {
    const d = await openDevice({
      deviceId,
      storage: 'memory',
      network: [net.adapter(deviceId)],
      wallClock: wall,
      ...(storeUrl ? { storeUrl } : {}),
    })
    cleanup.push(() => d.close())
    net.link(deviceId, 'hub')
    return d
  }
  const a = await open('till-1')
  const { storeUrl } = await a.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const b = await open('till-2', storeUrl)
  await b.ready()
  return { net, hub, a, b }
}

/** Resolves once `check` holds for the view, checked after each of its change events. */
function until(view: DayView, check: (view: DayView) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check(view)) return resolve()
    const off = view.onChange(() => {
      if (!check(view)) return
      off()
      resolve()
    })
  })
}

function watch(device: Device, options?: Parameters<Device['watchDays']>[0]): DayView {
  const view = device.watchDays(options)
  cleanup.push(() => view.close())
  return view
}

test('a day view on another till follows orders as they are opened, changed and closed', async () => {
  const { a, b } = await twoTills(11)
  const view = watch(b)
  await until(view, (v) => v.dates().length === 2 && v.loading() === 0)
  expect(view.dates()[0]).toBe(b.businessDate())
  expect(view.orders()).toEqual([])

  const first = await a.openOrder('t4', { guests: 2 })
  const second = await a.openOrder('t7')
  await until(view, (v) => v.orders().length === 2)
  expect(view.orders().map((o) => [o.url, o.tableId, o.date])).toEqual([
    [first.url, 't4', a.businessDate()],
    [second.url, 't7', a.businessDate()],
  ])

  const lineId = await a.run(first.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' }))
  await until(view, (v) => v.order(first.url)?.order.lines[lineId] !== undefined)

  const { totals } = await a.orderSummary(first.url)
  await a.run(first.url, (doc, ctx) => {
    takePayment(doc, ctx, { key: newId(), tender: 'card', amount: totals.balance })
    closeOrder(doc, ctx)
  })
  await until(view, (v) => Object.keys(v.order(first.url)?.order.closes ?? {}).length === 1)
  // Closed checks stay in the day (reports need them); the order of the list did not change.
  expect(view.orders().map((o) => o.url)).toEqual([first.url, second.url])
  expect(view.loading()).toBe(0)
}, 60_000)

test('the watched days roll over when the business day changes on the device clock', async () => {
  let offset = 0
  const wall = () => Date.now() + offset
  const { a, b } = await twoTills(12, wall)
  // Every clock jumps to 3 s before the end of the business day.
  offset = msUntilNextDay(wall(), a.store()) - 3000
  const before = b.businessDate()
  const last = await a.openOrder('t2')
  expect((await b.orderSummary(last.url)).order.businessDate).toBe(before)

  const two = watch(b)
  const one = watch(b, { days: 1 })
  await until(one, (v) => v.order(last.url) !== undefined)
  await until(two, (v) => v.order(last.url) !== undefined)
  const yesterday = two.dates()[1]

  // The timer of each view fires at the boundary: nobody touches a document meanwhile.
  await until(one, (v) => v.dates()[0] !== before)
  const after = one.dates()[0]!
  expect(after > before).toBe(true)
  expect(one.dates()).toEqual([after])
  expect(one.orders()).toEqual([])
  await until(two, (v) => v.dates()[0] === after)
  expect(two.dates()).toEqual([after, before])
  expect(two.dates()).not.toContain(yesterday)
  expect(two.order(last.url)?.date).toBe(before)

  const next = await a.openOrder('t3')
  await until(one, (v) => v.order(next.url) !== undefined)
  expect(one.order(next.url)?.date).toBe(after)
  // Each view opens what it hears of on its own: the other may be a turn behind.
  await until(two, (v) => v.order(next.url) !== undefined)
  expect(two.orders().map((o) => o.url)).toEqual([last.url, next.url])
}, 60_000)

test('an order no peer has yet is counted in loading() and joins the view once it arrives', async () => {
  const { net, a, b } = await twoTills(13)
  const view = watch(b)
  await until(view, (v) => v.dates().length === 2 && v.loading() === 0)

  // The back office opens a check on t5 while cut off: only the table's reference reaches the hub.
  const office = new Repo({
    network: [net.adapter('office')],
    peerId: 'office' as PeerId,
    sharePolicy: async () => true,
  })
  cleanup.push(() => office.shutdown())
  const opened = openOrder(a.context(), { tableId: 't5' })
  const handle = office.create(opened.doc)
  await a.run<void, TableDoc>(a.store().tables['t5']!.url as AutomergeUrl, (t) =>
    attachOrder(t, {
      orderId: opened.orderId,
      url: handle.url,
      businessDate: opened.businessDate,
      openedAt: opened.openedAt,
      openedBy: 'office',
    }),
  )
  await until(view, (v) => v.loading() === 1)
  expect(view.order(handle.url)).toBeUndefined()
  expect(view.orders()).toEqual([])

  // Still missing after several rounds of looking: counted, never thrown.
  await new Promise((r) => setTimeout(r, 3000))
  expect(view.loading()).toBe(1)

  net.link('office', 'hub')
  await until(view, (v) => v.order(handle.url) !== undefined && v.loading() === 0)
  expect(view.order(handle.url)?.tableId).toBe('t5')
}, 60_000)

test('close() stops the events and the view stays as it was', async () => {
  const { a, b } = await twoTills(14)
  const view = b.watchDays()
  await until(view, (v) => v.dates().length === 2 && v.loading() === 0)
  let events = 0
  view.onChange(() => events++)
  view.close()
  const { url } = await a.openOrder('t1')
  // The other till gets the order (its table-day changed), the closed view hears nothing of it.
  await b.orderSummary(url)
  const table = await tableDayOn(b, 't1')
  await new Promise<void>((resolve) => {
    const check = () => Object.keys(table.doc().orders).length > 0 && resolve()
    table.on('change', check)
    check()
  })
  await new Promise((r) => setTimeout(r, 200))
  expect(events).toBe(0)
  expect(view.orders()).toEqual([])
  expect(view.onChange(() => events++)).toBeTypeOf('function')
}, 60_000)

test('a local-only view lists what is stored on the device and waits for nothing else', async () => {
  const { a, b } = await twoTills(15)
  const mine = await b.openOrder('t6')
  // Opened on the other till: only its table-day's reference is on this one until someone asks.
  const theirs = await a.openOrder('t8')
  const table = await tableDayOn(b, 't8')
  await new Promise<void>((resolve) => {
    const check = () => Object.keys(table.doc().orders).length > 0 && resolve()
    table.on('change', check)
    check()
  })
  const local = watch(b, { localOnly: true })
  await until(local, (v) => v.dates().length === 2 && v.loading() === 0)
  // The hub announces every document to every till (share policy true), so theirs may be
  // stored here by now: listed exactly when it is.
  const theirsId = theirs.url.slice('automerge:'.length) as never
  const stored = b.repo.handles[theirsId]?.isReady() === true
  expect(local.orders().map((o) => o.url)).toEqual(stored ? [mine.url, theirs.url] : [mine.url])
  if (!stored) expect(local.order(theirs.url)).toBeUndefined()
  // (Whether b's repo holds a handle for it is not the view's doing: a's repo may announce the
  // new document to b on its own, which once made a "no find was made" check here flaky.)
}, 60_000)

test('watchDays refuses a day count that is not a whole number of days', async () => {
  const { b } = await twoTills(17)
  expect(() => b.watchDays({ days: 0 })).toThrow(/days must be/)
  expect(() => b.watchDays({ days: 1.5 })).toThrow(/days must be/)
})

test('after a restart, the re-opening opens the store, the day’s table-days and stored orders, with no unsynced marker left', async () => {
  const net = createSimNetwork({ seed: 18 })
  const hub = new Repo({
    network: [net.adapter('hub', { kind: 'hub' })],
    // With a storage id: its acknowledged heads make the till's work synced.
    storage: new MemoryStorageAdapter(),
    peerId: 'hub' as PeerId,
    sharePolicy: async () => true,
  })
  cleanup.push(() => hub.shutdown())
  const storage = createCrashableStorage()
  const first = await openDevice({
    deviceId: 'till-1',
    storage: storage.adapter(),
    network: [net.adapter('till-1')],
  })
  net.link('till-1', 'hub')
  const { storeUrl } = await first.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const { url } = await first.openOrder('t3')
  // Synced: no unsynced marker is left, so only the day view can bring the order back.
  await new Promise<void>((resolve) => {
    const check = () => first.status().unsynced === 0 && resolve()
    first.onStatus(check)
    check()
  })
  await first.close()
  storage.crash() // every write had completed: this only hands out the restarted process's view

  const again = await openDevice({ deviceId: 'till-1', storage: storage.adapter(), storeUrl })
  cleanup.push(() => again.close())
  const { documents } = await again.whenReopened()
  // The store, the one table-day of today (t3's) and the order: on table-days the table
  // documents hold none of the day's references, so they are not the day's documents.
  expect(documents).toBe(1 + 1 + 1)
  const id = url.slice('automerge:'.length) as never
  expect(again.repo.handles[id]?.isReady()).toBe(true)
}, 60_000)
