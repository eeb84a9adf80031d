/*
 * The terminal in a real browser (Debian's Chromium through playwright-core) against the demo
 * server (relay, pairing, fake printers) on port 0. One build, one server, one browser; each
 * device is its own browser context (its own profile: IndexedDB, service worker, clock).
 */
import { businessDate } from '@tabsync/core'
import { demoStoreInit } from '@tabsync/core/demo'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { snap, startStack, type Stack, type TestDevice } from './harness.js'

let stack: Stack
let tillA: TestDevice
let tillB: TestDevice

beforeAll(async () => {
  stack = await startStack([
    { storeId: 'store-a', name: 'Tabsync Bistro' },
    { storeId: 'store-b', name: 'Second Street Cafe' },
  ])
  tillA = await stack.device('till-a')
  tillB = await stack.device('till-b')
})

afterAll(async () => {
  await stack?.close()
})

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 200 })

async function add(page: Page, name: string, times = 1) {
  const search = page.getByTestId('menu-search')
  for (let i = 0; i < times; i++) {
    await search.fill(name)
    await search.press('Enter')
  }
}

async function synced(page: Page) {
  await poll(() => page.getByTestId('unsynced').innerText()).toBe('All sent')
}

async function openTable(page: Page, tableId: string) {
  await page.getByTestId('nav-floor').click()
  await page.getByTestId(`table-${tableId}`).click()
  await page.getByTestId('order-screen').waitFor()
}

const lines = (page: Page) => page.getByTestId('line').count()
const total = (page: Page) => page.getByTestId('order-total').innerText()

test('two devices edit one check while one is offline; both end with every line and one total', async () => {
  const a = tillA.page
  const b = tillB.page
  await openTable(a, 't5')
  await synced(a)
  // B sees the check A opened and joins it.
  await poll(() => b.getByTestId('table-t5').getAttribute('data-state')).toBe('open')
  await openTable(b, 't5')

  await tillA.context.setOffline(true)
  await poll(() => a.getByTestId('sync-state').innerText()).toBe('Offline')

  // 14 lines on A (offline), 8 on B (online), and B changes a quantity.
  await add(a, 'Espresso', 7)
  await add(a, 'Draft beer', 7)
  await add(b, 'Green salad', 4)
  await add(b, 'Tiramisu', 4)
  await poll(() => lines(a)).toBe(14)
  await poll(() => lines(b)).toBe(8)
  await b.getByTestId('line').first().click()
  await b.getByTestId('qty-plus').click()
  await poll(() => b.getByTestId('line-qty').first().innerText()).toBe('2×')
  await poll(() => a.getByTestId('unsynced').innerText()).not.toBe('All sent')
  await snap(a, 'offline-device-a')

  await tillA.context.setOffline(false)
  await poll(() => lines(a)).toBe(22)
  await poll(() => lines(b)).toBe(22)
  await synced(a)
  await synced(b)
  await poll(async () => (await total(a)) === (await total(b))).toBe(true)
  // 7 x 2.50 + 7 x 6.00 + 5 x 4.50 (one salad line was raised to 2) + 4 x 7.50 = 112.00
  expect(await total(a)).toBe('€112.00')
  await snap(b, 'merged-device-b')
})

test('fire from the terminal reaches the fake printer exactly once', async () => {
  const a = tillA.page
  const kitchen = stack.server.backend.printers.get('store-a')?.get('kitchen-printer')
  const bar = stack.server.backend.printers.get('store-a')?.get('bar-printer')
  if (!kitchen || !bar) throw new Error('the demo server has no fake printers')
  const before = { kitchen: kitchen.receipts.length, bar: bar.receipts.length }
  await openTable(a, 't8')
  await add(a, 'Soup of the day', 2)
  await add(a, 'Sparkling water')
  await a.getByTestId('fire').click()
  await kitchen.waitForReceipts(before.kitchen + 1, 20_000)
  await bar.waitForReceipts(before.bar + 1, 20_000)
  await poll(() => a.getByTestId('printer-state').innerText()).toBe('Printers OK')
  await poll(() => a.locator('[data-testid=line][data-state=printed]').count()).toBe(3)
  // Another device opening the same check, and a reload, print nothing more.
  await openTable(tillB.page, 't8')
  await a.reload()
  await a.getByTestId('order-screen').waitFor()
  await a.waitForTimeout(1500)
  const kitchenNew = kitchen.receipts.slice(before.kitchen)
  const barNew = bar.receipts.slice(before.bar)
  expect(kitchenNew).toHaveLength(1)
  expect(barNew).toHaveLength(1)
  expect(kitchenNew[0]?.text).toContain('Soup of the day')
  expect(barNew[0]?.text).toContain('Sparkling water')
  await snap(a, 'order-printed')
})

test('a check moved to another table is on that table for the other device, its old table free', async () => {
  const a = tillA.page
  const b = tillB.page
  await openTable(a, 'p1')
  await add(a, 'Espresso')
  await a.getByRole('button', { name: 'Move', exact: true }).click()
  await a.getByTestId('move-p2').click()
  await poll(() => a.getByTestId('order-table').innerText()).toBe('P2')
  await synced(a)
  await b.getByTestId('nav-floor').click()
  await poll(() => b.getByTestId('table-p2').getAttribute('data-state')).not.toBe('free')
  await poll(() => b.getByTestId('table-p1').getAttribute('data-state')).toBe('free')
  await openTable(b, 'p2')
  expect(await lines(b)).toBe(1)
})

test('after one online load, a reload with no network opens the terminal and the order syncs later', async () => {
  const c = await stack.device('till-c')
  await c.page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  await c.context.setOffline(true)
  await c.page.reload()
  await c.page.getByTestId('floor').waitFor({ timeout: 30_000 })
  expect(await c.page.getByTestId('sync-state').innerText()).toBe('Offline')
  await openTable(c.page, 't6')
  await add(c.page, 'Negroni')
  await poll(() => lines(c.page)).toBe(1)
  await c.context.setOffline(false)
  await synced(c.page)
  await tillA.page.getByTestId('nav-floor').click()
  await poll(() => tillA.page.getByTestId('table-t6').getAttribute('data-state')).toBe('open')
  expect(await tillA.page.getByTestId('table-t6').getByTestId('table-total').innerText()).toBe(
    '€11.00',
  )
})

test('a device with its clock in 2018 shows the skew warning and its sales land on today', async () => {
  const d = await stack.device('till-2018', { clockAt: new Date('2018-03-01T12:00:00Z') })
  await d.page.getByTestId('skew-warning').waitFor({ timeout: 20_000 })
  expect(await d.page.getByTestId('skew-warning').innerText()).toMatch(/behind/)
  // A table no other test of this file uses: its check holds the cheesecake alone.
  await openTable(d.page, 't4')
  await add(d.page, 'Cheesecake')
  await d.page.getByTestId('pay').click()
  await d.page.getByTestId('pay-card').click()
  await d.page.getByTestId('close-check').click()
  await d.page.getByTestId('floor').waitFor()
  await d.page.getByTestId('nav-reports').click()
  const store = demoStoreInit('x', () => '')
  const today = businessDate(Date.now(), store)
  await poll(() => d.page.getByTestId('report-date').innerText()).toContain(today)
  await poll(() => d.page.getByTestId('report-tender-card').innerText()).toContain('€7.20')
  await snap(d.page, 'report-2018-device')
})

test('a device paired to store B never shows store A’s tables or checks', async () => {
  const e = await stack.device('till-e', { store: 'store-b' })
  expect(await e.page.getByTestId('floor').isVisible()).toBe(true)
  await expect
    .poll(() => e.page.locator('header strong').first().innerText())
    .toBe('Second Street Cafe')
  // Store A has open checks on t5, t6 and t8; store B's floor is all free.
  const states = await e.page
    .locator('[data-testid^=table-]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-state')))
  expect(states.length).toBeGreaterThan(0)
  expect(new Set(states)).toEqual(new Set(['free']))
  // Even with a store A check's URL, the relay never hands it over.
  const url = await tillA.page.evaluate(() => location.hash)
  await tillA.page.getByTestId('nav-floor').click()
  await tillA.page.getByTestId('table-t5').click()
  const orderHash = await tillA.page.evaluate(() => location.hash)
  expect(orderHash).toMatch(/^#\/order\/automerge:/)
  await e.page.evaluate((h) => (location.hash = h), orderHash)
  await e.page.waitForTimeout(3000)
  expect(await e.page.getByTestId('order-screen').count()).toBe(0)
  void url
})

test('two payments taken apart show as overpaid on both devices; one action settles it', async () => {
  const a = tillA.page
  const b = tillB.page
  await openTable(a, 't2')
  await add(a, 'Espresso')
  await synced(a)
  await b.getByTestId('nav-floor').click()
  await poll(() => b.getByTestId('table-t2').getAttribute('data-state')).toBe('open')
  await openTable(b, 't2')
  await poll(() => lines(b)).toBe(1)

  await tillA.context.setOffline(true)
  await poll(() => a.getByTestId('sync-state').innerText()).toBe('Offline')
  for (const page of [a, b]) {
    await page.getByTestId('pay').click()
    await page.getByTestId('pay-card').click()
    await poll(() => page.getByTestId('due').innerText()).toBe('€0.00')
  }
  await tillA.context.setOffline(false)
  for (const page of [a, b]) {
    await poll(() => page.getByTestId('review-count').innerText()).toBe('1')
  }
  await b.getByTestId('nav-review').click()
  expect(await b.getByTestId('conflict').getAttribute('data-kind')).toBe('overpaid')
  await poll(() => b.getByTestId('toast').count()).toBe(0)
  await snap(b, 'screen-review')
  await b.getByTestId('action-refund').click()
  for (const page of [a, b]) await poll(() => page.getByTestId('review-count').count()).toBe(0)
})

test('screens for the README', async () => {
  const a = tillA.page
  await a.setViewportSize({ width: 1280, height: 800 })
  // A realistic check: seats, modifiers, a fired course, a voided drink, a new dessert.
  await openTable(a, 't3')
  await a.getByTestId('seat-1').click()
  await add(a, 'Spritz')
  await a.getByTestId('opt-ice-no-ice').click()
  await a.getByTestId('add-item').click()
  await add(a, 'House burger')
  await a.getByTestId('opt-cooking-medium').click()
  await a.getByTestId('opt-burger-extra-cheese').click()
  await a.getByTestId('opt-side-fries').click()
  await a.getByTestId('add-item').click()
  await a.getByTestId('seat-2').click()
  await add(a, 'Draft beer')
  await add(a, 'Ribeye steak')
  await a.getByTestId('opt-cooking-rare').click()
  await a.getByTestId('item-note').fill('sauce on the side')
  await a.getByTestId('add-item').click()
  await poll(() => lines(a)).toBe(4)
  await a.getByTestId('fire').click()
  await poll(() => a.locator('[data-testid=line][data-state=printed]').count()).toBe(4)
  await add(a, 'Tiramisu')
  await a.locator('[data-testid=line]', { hasText: 'Draft beer' }).click()
  await a.getByTestId('void').click()
  await a.getByTestId('void-reason').fill('Guest changed mind')
  await a.getByTestId('confirm-void').click()
  await a.locator('[data-testid=line]', { hasText: 'Tiramisu' }).click()
  await poll(() => a.getByTestId('toast').count()).toBe(0)
  await snap(a, 'screen-order')
  await a.getByTestId('pay').click()
  await a.getByTestId('check-screen').waitFor()
  await a.getByTestId('split-seat').click()
  await poll(() => a.getByTestId('check-2').count()).toBe(1)
  await snap(a, 'screen-check')
  await a.getByTestId('nav-floor').click()
  await snap(a, 'screen-floor')
  await a.getByTestId('nav-kitchen').click()
  await snap(a, 'screen-kitchen')
  await a.getByTestId('nav-reports').click()
  await snap(a, 'screen-reports')
  await a.setViewportSize({ width: 390, height: 844 })
  await a.getByTestId('nav-floor').click()
  await snap(a, 'screen-phone-floor')
  await openTable(a, 't3')
  await snap(a, 'screen-phone-order')
})
