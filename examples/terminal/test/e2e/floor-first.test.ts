/*
 * The floor of a start reads floor-first (issue 15): the checks not hinted closed, from sync's
 * summary cache, without opening the day's closed checks; a check hinted closed that is open (a
 * close merged with a line added on a till that was apart) still reaches the floor. Counted by
 * the order documents the page had loaded when its live floor was made (the `tabsync:terminal`
 * mark's detail), not timed. Real Chromium against the demo server.
 */
import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  type AutomergeUrl,
  type BinaryDocumentId,
} from '@automerge/automerge-repo'
import {
  addLine,
  closeOrder,
  newId,
  orderHint,
  summarizeOrder,
  takePayment,
  type OrderDoc,
  type TableDayDoc,
} from '@tabsync/core'
import { tableDayIdBytes } from '@tabsync/core/internal'
import { openDevice, type Device } from '@tabsync/sync'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startStack, type Stack } from './harness.js'

const STORE = 'store-floor-first'
let stack: Stack

beforeAll(async () => {
  stack = await startStack([{ storeId: STORE, name: 'Floor First' }])
})

afterAll(async () => {
  await stack?.close()
})

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 200 })

async function settle(d: Device, url: AutomergeUrl): Promise<void> {
  const balance = (await d.orderSummary(url)).totals.balance
  await d.run(url, (doc, ctx) =>
    takePayment(doc, ctx, { key: newId(), tender: 'card', amount: balance }),
  )
  await d.run(url, (doc, ctx) => closeOrder(doc, ctx))
}

/** The order documents the page had loaded when it made its live floor. */
async function loadedAtFloor(page: Page): Promise<string[]> {
  await page.waitForFunction(() => performance.getEntriesByName('tabsync:terminal').length > 0)
  return page.evaluate(() => {
    const entry = performance.getEntriesByName('tabsync:terminal')[0] as PerformanceMark
    return (entry.detail as { ordersLoaded: string[] }).ordersLoaded
  })
}

test('a reload shows the floor before any closed check is opened, and a check hinted closed that is open is on it', async () => {
  // A back office seeds the day over the relay: 3 open checks, 8 closed, and one closed check
  // to which a till that was apart had added a line (its table-day still hints it closed).
  const office = await openDevice({
    deviceId: 'ff-office',
    storeUrl: stack.server.stores[STORE]!,
    token: await stack.server.backend.issueToken('ff-office', STORE),
    endpoints: [{ url: stack.server.backend.relay.syncUrl, kind: 'relay' }],
    storage: 'memory',
  })
  await office.ready()
  const open: AutomergeUrl[] = []
  const closed: AutomergeUrl[] = []
  for (const [i, table] of [
    't1',
    't2',
    't3',
    't4',
    't5',
    't6',
    't7',
    't8',
    'p1',
    'p2',
    'p3',
  ].entries()) {
    const { url } = await office.openOrder(table, { guests: 2 })
    await office.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
    if (i < 3) open.push(url)
    else {
      await settle(office, url)
      closed.push(url)
    }
  }
  const { url: wrongHint } = await office.openOrder('p4', { guests: 2 })
  await office.run(wrongHint, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  const handle = await office.repo.find<OrderDoc>(wrongHint)
  const beforeClose = A.getHeads(handle.doc())
  await settle(office, wrongHint)
  const apart = A.change(A.clone(A.view(handle.doc(), beforeClose)), (doc) => {
    addLine(
      doc,
      { deviceId: 'till-apart', clock: office.clock, store: office.store() },
      {
        itemId: 'soup',
      },
    )
  })
  handle.update((doc) => A.merge(doc, apart))
  // Open (it needs attention), and still hinted closed by its table-day.
  expect(summarizeOrder(handle.doc()).status.status).toBe('needs-attention')
  const tableDay = await office.repo.find<TableDayDoc>(
    interpretAsDocumentId(
      (await tableDayIdBytes(STORE, 'p4', office.businessDate())) as BinaryDocumentId,
    ),
  )
  expect(orderHint(tableDay.doc(), String(handle.doc().orderId))).toBe('closed')
  await office.flush()
  await poll(async () => office.status().unsynced).toBe(0)
  await office.close()

  // A new till gets the day, then stores every digest (its day view opens every check).
  const till = await stack.device('till-floor-first', { store: STORE })
  const page = till.page
  await poll(() => page.getByTestId('table-p4').getAttribute('data-state')).toBe('attention')
  await poll(() => page.getByTestId('unsynced').innerText()).toBe('All sent')

  await page.reload()
  await page.getByTestId('floor').waitFor({ timeout: 30_000 })
  const loaded = await loadedAtFloor(page)
  // No closed check was opened for the floor (the whole store had 9 stored and closed).
  expect(loaded.filter((url) => closed.includes(url as AutomergeUrl))).toEqual([])
  for (const table of ['t1', 't2', 't3'])
    expect(await page.getByTestId(`table-${table}`).getAttribute('data-state')).toBe('open')
  for (const table of ['t4', 't5', 't6', 't7', 't8', 'p1', 'p2', 'p3'])
    expect(await page.getByTestId(`table-${table}`).getAttribute('data-state')).toBe('free')
  // The wrongly hinted check: late (the whole day), never hidden.
  await poll(() => page.getByTestId('table-p4').getAttribute('data-state')).toBe('attention')
  await till.context.close()
}, 180_000)
