// Moving a check to another table spans two documents (the order and the new table); the device
// does both in one call, so a terminal never orchestrates it and no device sees half a move.
import { isTabsyncError } from '@tabsync/core'
import { afterEach, expect, test, vi } from 'vitest'
import { advance, createCluster, drive, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

test('a check moved to another table is on that table for another device, and an unknown table changes nothing', async () => {
  useSimTime()
  const c = await createCluster({ seed: 3, devices: 2 })
  try {
    const [a, b] = c.slots.map((s) => s.device)
    const { url } = await drive(a!.openOrder('t4'))
    await drive(a!.moveOrder(url, 't7'))
    await advance(2000)

    const onNew = await drive(b!.tableOrders('t7'))
    expect(onNew.map((o) => o.url)).toEqual([url])
    expect(onNew[0]!.summary.order.tableId).toBe('t7')
    expect(onNew[0]!.summary.order.moves).not.toEqual({})
    // Moving it again (a double tap) neither duplicates the table's reference nor fails.
    await drive(a!.moveOrder(url, 't7'))
    await advance(2000)
    expect((await drive(b!.tableOrders('t7'))).map((o) => o.url)).toEqual([url])

    const refused = await drive(a!.moveOrder(url, 'nowhere')).catch((e: unknown) => e)
    expect(isTabsyncError(refused, 'not-found')).toBe(true)
    expect((await drive(a!.orderSummary(url))).order.tableId).toBe('t7')
  } finally {
    await c.close()
  }
})
