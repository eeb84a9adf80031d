// An order is summarized once per heads on a device (issue 15): loading a day, its X/Z report,
// the summary cache's write, a watcher and `orderSummary` share one derivation.
import { addLine, closeOrder, newId, takePayment } from '@tabsync/core'
import * as core from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterEach, expect, test, vi } from 'vitest'
import { openDevice } from '../src/index.js'

vi.mock('@tabsync/core', async (importOriginal) => {
  const actual = await importOriginal<typeof core>()
  return { ...actual, summarizeOrder: vi.fn(actual.summarizeOrder) }
})

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

test('loading a day, its report, a watcher and orderSummary derive each unchanged order once', async () => {
  const d = await openDevice({ deviceId: 'till-1', storage: 'memory', reopen: false })
  cleanups.push(() => d.close())
  await d.createStore({ ...demoStoreInit('store-1', () => ''), tables: DEMO_TABLES })
  const urls = []
  for (const table of ['t1', 't2', 't3']) {
    const { url } = await d.openOrder(table)
    await d.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
    urls.push(url)
  }
  const paid = urls[0]!
  const due = (await d.orderSummary(paid)).totals.balance
  await d.run(paid, (doc, ctx) =>
    takePayment(doc, ctx, { key: newId(), tender: 'card', amount: due }),
  )
  await d.run(paid, (doc, ctx) => closeOrder(doc, ctx))
  await d.flush() // the cache's write derives what is not derived yet

  const summarize = vi.mocked(core.summarizeOrder)
  summarize.mockClear()
  const day = await d.loadDay()
  const { report } = await d.salesReport()
  const seen: number[] = []
  const stop = d.watchOrder(urls[1]!, (s) => seen.push(s.totals.total))
  await vi.waitFor(() => expect(seen).toHaveLength(1))
  stop()
  const one = await d.orderSummary(urls[2]!)
  await d.flush()

  expect(day.orders).toHaveLength(3)
  expect(report.orderCount).toBe(3)
  expect(one.lines).toHaveLength(1)
  // Nothing changed since the commands summarized them: no order is derived again.
  expect(summarize).not.toHaveBeenCalled()

  // A change is derived once more, once, however many readers ask.
  await d.run(urls[1]!, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' }))
  summarize.mockClear()
  await d.loadDay()
  await d.salesReport()
  await d.orderSummary(urls[1]!)
  await d.flush()
  expect(summarize).not.toHaveBeenCalled() // the command's hint check derived it already
  expect(d.summaryCacheStats().derived).toBeGreaterThanOrEqual(4)
})
