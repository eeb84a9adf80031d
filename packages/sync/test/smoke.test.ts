import { addLine, readOrder } from '@tabsync/core'
import { afterEach, expect, test, vi } from 'vitest'
import type { OrderDoc } from '@tabsync/core'
import { advance, createCluster, drive, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

test('two devices, a hub and a relay: an order taken on one reaches the other and the relay', async () => {
  useSimTime()
  const c = await createCluster({ seed: 1, devices: 2 })
  const [a, b] = c.slots.map((s) => s.device)
  const { url } = await drive(a!.openOrder('t4', { guests: 2 }))
  const lineId = await drive(a!.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' })))
  await advance(2000)
  const summary = await drive(b!.orderSummary(url))
  expect(summary.lines.map((l) => l.line.id)).toEqual([lineId])
  const relayHandle = await drive(c.relay.repo.find<OrderDoc>(url))
  expect(Object.keys(readOrder(relayHandle.doc()).lines)).toEqual([lineId])
  expect(a!.status().unsynced).toBe(0)
  expect(a!.status().state).toBe('via-hub')
  await c.close()
})
