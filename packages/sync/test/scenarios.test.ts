// Named multi-device scenarios from the field, on the simulated network.
import { parseAutomergeUrl, type AutomergeUrl, type Repo } from '@automerge/automerge-repo/slim'
import { addLine, businessDate, decode, hlcMs, type OrderData } from '@tabsync/core'
import { DEMO_TABLES } from '@tabsync/core/demo'
import { afterEach, expect, test, vi } from 'vitest'
import { DeviceKeys, type Device } from '../src/index.js'
import { advance, createCluster, drive, SERVICE_START, useSimTime } from './cluster.js'
import { storeRefs } from './day-refs.js'

afterEach(() => {
  vi.useRealTimers()
})

const TABLE_IDS = DEMO_TABLES.map((t) => t.id)

/** Every order reference the relay holds (table documents and table-days). */
function tableRefs(repo: Repo, storeUrl: string) {
  return storeRefs(repo, storeUrl, drive)
}

/**
 * A document a server already holds, without asking for it: `find` would make the server
 * request it from its peers, which hides whether the device pushed it on its own.
 */
function held<T>(repo: Repo, url: string): T | undefined {
  const h = repo.handles[parseAutomergeUrl(url as AutomergeUrl).documentId]
  return h?.isReady() ? decode<T>(h.doc() as never) : undefined
}

async function takeOrders(device: Device, count: number, offset: number): Promise<string[]> {
  const urls: string[] = []
  for (let i = 0; i < count; i++) {
    const tableId = TABLE_IDS[(offset + i) % TABLE_IDS.length]!
    const { url } = await drive(device.openOrder(tableId, { guests: 2 }))
    await drive(device.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer', quantity: 2 })))
    urls.push(url)
    await advance(30_000)
  }
  return urls
}

test('tablet A offline takes 14 orders, tablet B online takes 8, A reconnects: 22 orders everywhere, none twice', async () => {
  useSimTime()
  const c = await createCluster({ seed: 14, devices: 2 })
  const [a, b] = c.slots.map((s) => s.device) as [Device, Device]

  c.net.partition('till-1', 'hub')
  await advance(100)
  expect(a.status().state).toBe('offline')
  const fromA = await takeOrders(a, 14, 0)
  const fromB = await takeOrders(b, 8, 3)
  expect(a.status().unsynced).toBeGreaterThanOrEqual(14)
  expect(b.status().unsynced).toBe(0)

  c.net.heal('till-1', 'hub')
  await advance(10_000)
  expect(a.status().unsynced).toBe(0)

  const all = new Set([...fromA, ...fromB])
  expect(all.size).toBe(22)
  for (const device of [a, b]) {
    const day = await drive(device.ordersOfDay())
    expect(day.map((e) => e.url).sort()).toEqual([...all].sort())
    expect(new Set(day.map((e) => e.summary.order.orderId)).size).toBe(22)
  }
  const refs = await tableRefs(c.relay.repo, c.storeUrl)
  expect(refs).toHaveLength(22)
  expect(new Set(refs.map((r) => r.orderId)).size).toBe(22)
  expect(new Set(refs.map((r) => r.url))).toEqual(all)
  await c.close()
})

test('internet down between hub and cloud for a whole service: devices keep syncing through the hub, and the relay gets everything back', async () => {
  useSimTime()
  const c = await createCluster({ seed: 41, devices: 3 })
  const devices = c.slots.map((s) => s.device)
  await advance(2_000)

  c.net.partition('hub', 'relay')
  const urls: string[] = []
  const lines: { url: string; lineId: string }[] = []
  // Four hours of service, each till taking an order every ten minutes or so.
  for (let round = 0; round < 8; round++) {
    for (const [i, d] of devices.entries()) {
      const { url } = await drive(d.openOrder(TABLE_IDS[(round * 3 + i) % TABLE_IDS.length]!))
      urls.push(url)
      const lineId = await drive(
        d.run(url, (doc, ctx) =>
          addLine(doc, ctx, {
            itemId: 'burger',
            modifiers: [{ groupId: 'cooking', optionId: 'medium' }],
          }),
        ),
      )
      lines.push({ url, lineId })
    }
    await advance(10 * 60_000)
  }
  // Through the hub every till sees every order while the internet is down.
  for (const d of devices) {
    expect(d.status().state).toBe('via-hub')
    expect(d.status().unsynced).toBe(0)
    const day = await drive(d.ordersOfDay())
    expect(day).toHaveLength(urls.length)
  }
  // The cloud saw none of it.
  const before = await tableRefs(c.relay.repo, c.storeUrl)
  expect(before).toHaveLength(0)

  c.net.heal('hub', 'relay')
  await advance(10_000)
  for (const url of urls) expect(held<OrderData>(c.relay.repo, url)).toBeDefined()
  const after = await tableRefs(c.relay.repo, c.storeUrl)
  expect(new Set(after.map((r) => r.url))).toEqual(new Set(urls))
  for (const { url, lineId } of lines) {
    expect(held<OrderData>(c.relay.repo, url)?.lines[lineId]).toBeDefined()
  }
  await c.close()
})

test('a device whose wall clock says 2018 calibrates against the relay: its HLC catches up, its sales land today, the skew is reported', async () => {
  useSimTime()
  const EIGHT_YEARS = Date.UTC(2026, 10, 20) - Date.UTC(2018, 10, 20)
  const c = await createCluster({
    seed: 2018,
    devices: 2,
    deviceLinks: (i) => (i === 1 ? ['relay'] : ['hub']),
    wallClock: (i) => (i === 1 ? () => Date.now() - EIGHT_YEARS : () => Date.now()),
  })
  const wrong = c.slots[1]!.device
  await advance(1_000)
  const skew = wrong.status().skew
  expect(skew?.flagged).toBe(true)
  expect(Math.abs(skew!.offsetMs - EIGHT_YEARS)).toBeLessThan(1_000)
  expect(Math.abs(hlcMs(wrong.clock.now()) - Date.now())).toBeLessThan(1_000)

  const { url } = await drive(wrong.openOrder('t1'))
  const summary = await drive(wrong.orderSummary(url))
  const store = wrong.store()
  expect(summary.order.businessDate).toBe(businessDate(SERVICE_START, store))
  expect(summary.order.businessDate).toBe('2026-11-20')

  // The other till sees the order on today's list, stamped today.
  await advance(5_000)
  const day = await drive(c.slots[0]!.device.ordersOfDay())
  expect(day.map((e) => e.url)).toContain(url)

  // The healthy device is not flagged.
  expect(c.slots[0]!.device.status().skew?.flagged).toBe(false)
  await c.close()
})

test('the clock never runs backwards across a restart, even offline with a wrong wall clock', async () => {
  useSimTime()
  const EIGHT_YEARS = Date.UTC(2026, 10, 20) - Date.UTC(2018, 10, 20)
  const c = await createCluster({
    seed: 77,
    devices: 1,
    deviceLinks: () => ['relay'],
    wallClock: () => () => Date.now() - EIGHT_YEARS,
  })
  await advance(1_000)
  const slot = c.slots[0]!
  const last = slot.device.clock.now()
  await drive(slot.device.flush())
  c.net.partition('till-1', 'relay')
  await c.crashRestart(0)
  await drive(slot.device.whenReopened())
  expect(slot.device.clock.now() > last).toBe(true)
  expect(businessDate(slot.device.clock.now(), slot.device.store())).toBe('2026-11-20')
  await c.close()
})

test('a device that crashes after saving but before syncing announces its work again on restart, without anyone opening the order', async () => {
  useSimTime()
  const c = await createCluster({ seed: 5, devices: 2 })
  const slot = c.slots[0]!
  c.net.partition('till-1', 'hub')
  const { url } = await drive(slot.device.openOrder('t7'))
  const lineId = await drive(
    slot.device.run(url, (doc, ctx) =>
      addLine(doc, ctx, { itemId: 'steak', modifiers: [{ groupId: 'cooking', optionId: 'rare' }] }),
    ),
  )
  expect(slot.device.status().unsynced).toBe(2) // the order and its table

  await c.crashRestart(0)
  const reopened = await drive(slot.device.whenReopened())
  expect(reopened.documents).toBeGreaterThanOrEqual(3) // store, table, order
  expect(slot.device.status().unsynced).toBe(2)

  c.net.heal('till-1', 'hub')
  await advance(10_000)
  expect(held<OrderData>(c.relay.repo, url)?.lines[lineId]).toBeDefined()
  expect(slot.device.status().unsynced).toBe(0)
  const refs = await tableRefs(c.relay.repo, c.storeUrl)
  expect(refs.map((r) => r.url)).toEqual([url])
  await c.close()
})

test('a write that was not flushed before a crash is lost, and a saved one is not', async () => {
  useSimTime()
  const c = await createCluster({ seed: 9, devices: 1 })
  const slot = c.slots[0]!
  c.net.isolate('till-1')
  const { url } = await drive(slot.device.openOrder('t2'))
  const saved = await drive(
    slot.device.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' })),
  )
  // Not awaited: the crash comes before the flush completes.
  const unsaved = slot.device.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'bread' }))
  unsaved.catch(() => undefined)
  await c.crashRestart(0)
  const summary = await drive(slot.device.orderSummary(url as never))
  const ids = summary.lines.map((l) => l.line.id)
  expect(ids).toContain(saved)
  expect(summary.lines.map((l) => l.line.itemId)).not.toContain('bread')
  await c.close()
})

test('a marker left by a crash between writing it and writing its document is dropped on restart', async () => {
  useSimTime()
  const c = await createCluster({ seed: 11, devices: 1 })
  const slot = c.slots[0]!
  await advance(2_000)
  expect(slot.device.status().unsynced).toBe(0)
  // The marker of a document whose content never reached the disk.
  const ghost = '2ghostDocumentIdThatNeverWas1'
  await drive(slot.storage.adapter().save(DeviceKeys.pending(ghost), new Uint8Array([1])))
  await c.crashRestart(0)
  await drive(slot.device.whenReopened())
  expect(slot.device.status().unsynced).toBe(0)
  await advance(100)
  expect(slot.storage.durableKeys().filter((k) => k[0] === DeviceKeys.pendingPrefix[0])).toEqual([])
  await c.close()
})
