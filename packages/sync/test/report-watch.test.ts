// A report on screen follows the day (issue 15): a device that receives changes while its X
// report is open shows the new figures, computed from digests at the new heads.
import { addLine, type SalesReport } from '@tabsync/core'
import { afterEach, expect, test, vi } from 'vitest'
import type { Device } from '../src/index.js'
import { advance, createCluster, drive, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

test('a device that receives changes while its report is open shows the new figures', async () => {
  useSimTime()
  const c = await createCluster({ seed: 11, devices: 2 })
  try {
    const [a, b] = c.slots.map((s) => s.device) as [Device, Device]
    const first = await drive(a.openOrder('t4'))
    await drive(a.run(first.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' })))
    await advance(2000)

    const reports: SalesReport[] = []
    const errors: unknown[] = []
    const stop = b.watchSalesReport(
      b.businessDate(),
      (r) => reports.push(r.report),
      (e) => errors.push(e),
    )
    await advance(3000)
    const before = reports.at(-1)
    expect(before?.orderCount).toBe(1)
    expect(before?.total).toBe((await drive(a.orderSummary(first.url))).totals.total)

    // Another till adds to the check and opens a new one; B's report is still on screen.
    await drive(a.run(first.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer', quantity: 2 })))
    const second = await drive(a.openOrder('t2'))
    await drive(a.run(second.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'espresso' })))
    await advance(5000)
    const totals = await Promise.all(
      [first.url, second.url].map(async (u) => (await drive(a.orderSummary(u))).totals.total),
    )
    const after = reports.at(-1)
    expect(after?.orderCount).toBe(2)
    expect(after?.total).toBe(totals[0]! + totals[1]!)
    expect(after!.total).toBeGreaterThan(before!.total)
    expect(errors).toEqual([])
    stop()
  } finally {
    await c.close()
  }
})
