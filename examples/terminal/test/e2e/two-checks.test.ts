/*
 * Two devices open the same free table while one is offline (issue 10, item 8): after
 * reconnecting both show both checks on the floor, the review list flags the fork on both, and
 * combining them on one device leaves one check with every line and payment on both devices.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { snap, startStack, type Stack, type TestDevice } from './harness.js'

let stack: Stack
let tillA: TestDevice
let tillB: TestDevice

beforeAll(async () => {
  stack = await startStack()
  tillA = await stack.device('till-a')
  tillB = await stack.device('till-b')
})

afterAll(async () => {
  await stack?.close()
})

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 200 })

async function add(page: Page, name: string) {
  const search = page.getByTestId('menu-search')
  await search.fill(name)
  await search.press('Enter')
}

test('two devices open the same free table apart: both see both checks, review flags it, combining leaves one check with everything', async () => {
  const a = tillA.page
  const b = tillB.page
  await tillA.context.setOffline(true)
  await poll(() => a.getByTestId('sync-state').innerText()).toBe('Offline')

  // Both open table 6, which is free on both; A offline.
  for (const [page, item] of [
    [a, 'Espresso'],
    [b, 'Tiramisu'],
  ] as const) {
    await page.getByTestId('nav-floor').click()
    await page.getByTestId('table-t6').click()
    await page.getByTestId('order-screen').waitFor()
    await add(page, item)
    await poll(() => page.getByTestId('line').count()).toBe(1)
  }
  // B takes a payment on its check.
  await b.getByTestId('pay').click()
  await b.getByTestId('pay-card').click()
  await poll(() => b.getByTestId('due').innerText()).toBe('€0.00')

  await tillA.context.setOffline(false)
  for (const page of [a, b]) {
    await page.getByTestId('nav-floor').click()
    await poll(() => page.getByTestId('table-t6').getByTestId('table-checks').innerText()).toBe(
      '2 checks',
    )
    await page.getByTestId('table-t6').click()
    await poll(() => page.getByTestId('pick-check').count()).toBe(2)
    await page.getByTestId('picker-close').click()
    await poll(() => page.getByTestId('check-picker').count()).toBe(0)
  }
  await snap(a, 'two-checks-floor')
  for (const page of [a, b]) {
    await page.getByTestId('nav-review').click()
    await poll(() => page.locator('[data-kind="two-open-checks"]').count()).toBe(1)
  }

  // Combine on A: one check with both lines and B's payment, on both devices.
  await a.locator('[data-kind="two-open-checks"]').getByTestId('action-combine').click()
  for (const page of [a, b]) {
    await page.getByTestId('nav-floor').click()
    await poll(() => page.getByTestId('table-t6').getByTestId('table-checks').count()).toBe(0)
    await page.getByTestId('table-t6').click()
    await page.getByTestId('order-screen').waitFor()
    await poll(() => page.getByTestId('line').count()).toBe(2)
    await poll(() => page.locator('[data-kind="two-open-checks"]').count()).toBe(0)
  }
  // B's card payment came along: one payment on the combined check, on both devices, and the
  // espresso A added is what is left to pay.
  for (const page of [a, b]) {
    await page.getByTestId('pay').click()
    await poll(() => page.getByTestId('payments').locator('li').count()).toBe(1)
    await poll(() => page.getByTestId('due').innerText()).toBe('€2.50')
  }
  await snap(b, 'two-checks-combined')
})

test('an empty check opened by mistake is cancelled and leaves the floor on both devices', async () => {
  const a = tillA.page
  const b = tillB.page
  await a.getByTestId('nav-floor').click()
  await a.getByTestId('table-t7').click()
  await a.getByTestId('order-screen').waitFor()
  await b.getByTestId('nav-floor').click()
  await poll(() => b.getByTestId('table-t7').getAttribute('data-state')).toBe('open')
  await a.getByTestId('cancel-check').click()
  await a.getByTestId('floor').waitFor()
  for (const page of [a, b]) {
    await page.getByTestId('nav-floor').click()
    await poll(() => page.getByTestId('table-t7').getAttribute('data-state')).toBe('free')
  }
})
