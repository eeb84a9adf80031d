// A table hint can be wrong (issue 15): a close on one device merged with a line added on
// another leaves the hint "closed" on a check that needs attention. Nothing is hidden: the floor
// and the report come from the order document, the hint only orders the opening.
import {
  addLine,
  closeOrder,
  isOnFloor,
  newId,
  orderHint,
  reopenOrder,
  takePayment,
} from '@tabsync/core'
import { afterEach, expect, test, vi } from 'vitest'
import type { Device } from '../src/index.js'
import { tableDayOn } from './day-refs.js'
import { advance, createCluster, drive, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

/** The hint of t4's check, in t4's table-day (the cluster's store is on table-days). */
async function hintOn(device: Device, orderId: string) {
  const day = await drive(tableDayOn(device, 't4'))
  return orderHint(day.doc(), orderId)
}

test('a close merged with a line added elsewhere leaves a wrong closed hint, and the check is still on the floor and in the report', async () => {
  useSimTime()
  const c = await createCluster({ seed: 5, devices: 2 })
  try {
    const [a, b] = c.slots.map((s) => s.device) as [Device, Device]
    const { url, orderId } = await drive(a.openOrder('t4'))
    await drive(a.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' })))
    const due = (await drive(a.orderSummary(url))).totals.balance
    await drive(
      a.run(url, (doc, ctx) =>
        takePayment(doc, ctx, { key: newId(), tender: 'card', amount: due }),
      ),
    )
    await drive(a.run(url, (doc, ctx) => closeOrder(doc, ctx)))
    await drive(a.run(url, (doc, ctx) => reopenOrder(doc, ctx, { reason: 'one more' })))
    await advance(3000)
    await drive(b.loadDay())
    expect(await hintOn(b, orderId)).toBe('open')

    // Apart: A closes the check again, B adds a line to it.
    c.net.isolate(c.slots[1]!.deviceId)
    await drive(a.run(url, (doc, ctx) => closeOrder(doc, ctx)))
    await drive(b.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' })))
    c.net.healAll()
    await advance(5000)

    for (const device of [a, b]) {
      // The hint is wrong: closed, on a check with a line added after the close.
      expect(await hintOn(device, orderId)).toBe('closed')
      const summary = await drive(device.orderSummary(url))
      expect(summary.status.status).toBe('needs-attention')
      expect(summary.lines).toHaveLength(2)
      // The floor: the day's orders include it, on the floor.
      const day = await drive(device.loadDay())
      const entry = day.orders.find((o) => o.url === url)
      expect(entry && isOnFloor(entry.summary)).toBe(true)
      // The report: an open check with its balance due.
      const { report } = await drive(device.salesReport())
      expect(report.openChecks.map((o) => o.orderId)).toContain(orderId)
      expect(report.openChecks.find((o) => o.orderId === orderId)?.balance).toBe(
        summary.totals.balance,
      )
    }
  } finally {
    await c.close()
  }
})
