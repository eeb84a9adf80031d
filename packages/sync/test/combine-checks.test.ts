// device.transferOrder: combining two checks of one table over both documents (issue 10).
import { addLine, isTabsyncError, newId, tableForks, takePayment } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test } from 'vitest'
import { openDevice, type Device } from '../src/index.js'

const devices: Device[] = []
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

async function till(): Promise<Device> {
  const d = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
  devices.push(d)
  await d.createStore({ ...demoStoreInit('store-1', () => ''), tables: DEMO_TABLES })
  return d
}

test('combining two open checks of a table leaves one check with every line and payment, saved on both documents', async () => {
  const d = await till()
  const first = await d.openOrder('t4')
  const second = await d.openOrder('t4')
  await d.run(first.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  await d.run(second.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer', quantity: 2 }))
  const key = newId()
  await d.run(second.url, (doc, ctx) => takePayment(doc, ctx, { key, tender: 'card', amount: 300 }))
  const before = [await d.orderSummary(first.url), await d.orderSummary(second.url)]
  expect(tableForks(before)).toHaveLength(1)

  expect(await d.transferOrder(second.url, first.url)).not.toBeNull()
  const kept = await d.orderSummary(first.url)
  const left = await d.orderSummary(second.url)
  expect(kept.lines.map((l) => l.line.name).sort()).toEqual(
    [...before[0]!.lines, ...before[1]!.lines].map((l) => l.line.name).sort(),
  )
  expect(Object.keys(kept.order.payments)).toEqual([key])
  expect(kept.totals.total).toBe(before[0]!.totals.total + before[1]!.totals.total)
  expect(left.status.status).toBe('combined')
  expect(tableForks([kept, left])).toEqual([])
  // Again: nothing left to move.
  expect(await d.transferOrder(second.url, first.url)).toBeNull()
})

test('combining a check with itself is a typed error and changes neither document', async () => {
  const d = await till()
  const only = await d.openOrder('t2')
  await d.run(only.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  const heads = (await d.repo.find(only.url)).heads()
  let error: unknown
  try {
    await d.transferOrder(only.url, only.url)
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'invalid-input')).toBe(true)
  expect((await d.repo.find(only.url)).heads()).toEqual(heads)
  expect((await d.orderSummary(only.url)).lines).toHaveLength(1)
})
