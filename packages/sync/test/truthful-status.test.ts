// What a terminal's status bar and line badges read: orders and changes waiting, the last sync
// time across restarts, and whether a fired ticket really reached the hub.
import { addLine, fire, type OrderData } from '@tabsync/core'
import { afterEach, expect, test, vi } from 'vitest'
import { advance, createCluster, drive, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

const ticketIds = (copy: OrderData) => Object.keys(copy.tickets)

test('offline edits count as orders and changes waiting, and both counts survive a crash-restart', async () => {
  useSimTime()
  const c = await createCluster({ seed: 16, devices: 1 })
  const slot = c.slots[0]!
  await advance(2_000)
  expect(slot.device.status()).toMatchObject({ unsynced: 0, unsyncedOrders: 0, unsyncedChanges: 0 })
  c.net.partition('till-1', 'hub')
  for (const tableId of ['t1', 't2', 't3']) {
    const { url } = await drive(slot.device.openOrder(tableId))
    for (let i = 0; i < 4; i++)
      await drive(slot.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' })))
  }
  // 3 orders; each: opened (order and its table: 2 saves) and 4 lines added.
  const offline = slot.device.status()
  expect(offline).toMatchObject({ unsyncedOrders: 3, unsyncedChanges: 3 * (2 + 4) })
  expect(offline.unsynced).toBe(6) // three orders and their three tables

  await c.crashRestart(0)
  await drive(slot.device.whenReopened())
  expect(slot.device.status()).toMatchObject({ unsyncedOrders: 3, unsyncedChanges: 18 })

  c.net.heal('till-1', 'hub')
  await advance(10_000)
  expect(slot.device.status()).toMatchObject({ unsynced: 0, unsyncedOrders: 0, unsyncedChanges: 0 })
  await c.close()
})

test('the last sync time is kept across a restart with the network down', async () => {
  useSimTime()
  const c = await createCluster({ seed: 17, devices: 1 })
  const slot = c.slots[0]!
  const { url } = await drive(slot.device.openOrder('t4'))
  await drive(slot.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' })))
  await advance(5_000)
  const synced = slot.device.status().lastSyncAt
  expect(synced).not.toBeNull()
  await advance(2_000) // the throttled write of the time
  c.net.partition('till-1', 'hub')
  await c.crashRestart(0)
  await drive(slot.device.whenReopened())
  expect(slot.device.status().state).toBe('offline')
  expect(slot.device.status().lastSyncAt).toBe(synced)
  await c.close()
})

test('a ticket fired offline is not in the upstream copy until the hub acknowledges it', async () => {
  useSimTime()
  const c = await createCluster({ seed: 18, devices: 1 })
  const slot = c.slots[0]!
  const { url } = await drive(slot.device.openOrder('t5'))
  await drive(slot.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'soup' })))
  await drive(slot.device.run(url, (d, ctx) => fire(d, ctx, {})))
  await advance(5_000)
  expect(slot.device.upstreamCopy(url)).toEqual({ all: true })

  c.net.partition('till-1', 'hub')
  await drive(slot.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' })))
  await drive(slot.device.run(url, (d, ctx) => fire(d, ctx, {})))
  const mine = (await drive(slot.device.orderSummary(url))).order
  const offline = slot.device.upstreamCopy<OrderData>(url)
  expect(offline.all).toBe(false)
  // The hub has the first ticket, not the one fired offline.
  const first = offline.all ? [] : offline.copies.flatMap(ticketIds)
  expect(first).toHaveLength(1)
  expect(Object.keys(mine.tickets ?? {}).length).toBe(2)

  c.net.heal('till-1', 'hub')
  await advance(10_000)
  expect(slot.device.upstreamCopy(url)).toEqual({ all: true })
  await c.close()
})
