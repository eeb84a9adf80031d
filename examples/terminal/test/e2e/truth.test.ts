/*
 * What the terminal and the kitchen ticket tell staff, in a real browser (issue 16): status
 * texts after offline edits and a reload, line badges, printer state with a dead bridge, human
 * messages, a double tap, phone and tablet layout, 48 px targets, split check lines, and a note
 * with emoji reaching the fake printer legible.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { snap, startStack, type Stack, type TestDevice } from './harness.js'

let stack: Stack
let till: TestDevice

beforeAll(async () => {
  stack = await startStack([{ storeId: 'store-t', name: 'Truth Bistro' }])
  till = await stack.device('till-t')
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

async function openTable(page: Page, tableId: string) {
  await page.getByTestId('nav-floor').click()
  await page.getByTestId(`table-${tableId}`).click()
  await page.getByTestId('order-screen').waitFor()
}

const text = (page: Page, testId: string) => page.getByTestId(testId).innerText()
/** The line badge as written (the style shows it in capitals). */
const badge = async (page: Page) => (await page.getByTestId('line-badge').textContent())?.trim()
const lines = (page: Page) => page.getByTestId('line').count()
const kitchen = () => {
  const p = stack.server.backend.printers.get('store-t')?.get('kitchen-printer')
  if (!p) throw new Error('the demo server has no kitchen printer for store-t')
  return p
}

test('a double tap on a plain item gives one line of quantity 2; an item with options still opens its dialog', async () => {
  const page = till.page
  await openTable(page, 't1')
  await page.getByTestId('cat-drinks').click()
  await page.getByTestId('item-espresso').dblclick()
  await poll(() => page.getByTestId('line-qty').allInnerTexts()).toEqual(['2×'])
  // A third tap in the window still raises the same line.
  await page.getByTestId('item-espresso').click()
  await poll(() => page.getByTestId('line-qty').allInnerTexts()).toEqual(['3×'])
  expect(await lines(page)).toBe(1)
  // Options: the dialog, not a silent line.
  await page.getByTestId('item-cappuccino').click()
  await page.getByTestId('add-item').waitFor()
  await page.keyboard.press('Escape')
  expect(await lines(page)).toBe(1)
  // Once fired, a new tap is a new line: the kitchen already has the first one.
  await page.getByTestId('fire').click()
  await poll(() => page.locator('[data-testid=line][data-state=new]').count()).toBe(0)
  await page.getByTestId('item-espresso').click()
  await poll(() => lines(page)).toBe(2)
})

test('status after offline edits and a reload: orders and changes waiting, the last sync time, lines waiting to send', async () => {
  const { page, context } = till
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true))
  await openTable(page, 't2')
  await add(page, 'Tea')
  await poll(() => text(page, 'unsynced')).toBe('All sent')
  await poll(() => text(page, 'last-sync')).toMatch(/^Synced \d\d:\d\d$/)
  const synced = await text(page, 'last-sync')

  await context.setOffline(true)
  try {
    await offlineThenReload(page, synced)
  } finally {
    await context.setOffline(false)
  }
  await poll(() => text(page, 'unsynced')).toBe('All sent')
  await poll(() => badge(page)).toMatch(/^(Sent to kitchen|Printed)$/)
  await poll(() => badge(page)).toBe('Printed')
  await poll(() => text(page, 'printer-state')).toBe('Printers OK')
})

async function offlineThenReload(page: Page, synced: string) {
  await poll(() => text(page, 'sync-state')).toBe('Offline')
  await add(page, 'Bread basket')
  await add(page, 'Soup of the day')
  await openTable(page, 't3')
  await add(page, 'Tiramisu')
  await page.getByTestId('fire').click()
  // Fired on this device while offline: nothing left it.
  await poll(() => badge(page)).toBe('Waiting to send')
  await poll(() => text(page, 'unsynced')).toMatch(/^2 orders · \d+ changes waiting$/)
  const waiting = await text(page, 'unsynced')
  await snap(page, 'truth-offline-status')

  await page.reload()
  // The reload comes back on the order screen (the route is in the URL).
  await page.getByTestId('order-screen').waitFor({ timeout: 30_000 })
  await poll(() => text(page, 'unsynced')).toBe(waiting)
  expect(await text(page, 'last-sync')).toBe(synced)
  expect(await text(page, 'sync-state')).toBe('Offline')
  await openTable(page, 't3')
  await poll(() => badge(page)).toBe('Waiting to send')
  // The bridge cannot be asked from an offline device: it does not claim the printers are fine.
  expect(await text(page, 'printer-state')).toMatch(/^Printers unreachable/)
}

test('a note with emoji and accents reaches the kitchen printer legible', async () => {
  const page = till.page
  const before = kitchen().receipts.length
  await openTable(page, 't4')
  await add(page, 'House burger')
  await page.getByTestId('opt-cooking-medium').click()
  await page.getByTestId('opt-side-fries').click()
  await page.getByTestId('item-note').fill('🍕🔥 no 🥜 — 👨‍👩‍👧 allergy, crème für Groß')
  await page.getByTestId('add-item').click()
  await page.getByTestId('fire').click()
  // Other tables' tickets may print meanwhile: read this order's ticket.
  await poll(
    async () =>
      kitchen()
        .receipts.slice(before)
        .filter((r) => r.text.includes('House burger')).length,
  ).toBe(1)
  const receipt = kitchen()
    .receipts.slice(before)
    .find((r) => r.text.includes('House burger'))!
  const printed = receipt.text.replace(/\s+/g, ' ')
  expect(printed).toContain(
    '! [pizza][fire] no [peanuts] -- [family: man, woman, girl] allergy, crème für Groß',
  )
  expect(printed).not.toContain('?')
})

test('paying too much says it in the store currency', async () => {
  const page = till.page
  await openTable(page, 't5')
  await add(page, 'Espresso')
  await page.getByTestId('pay').click()
  await page.getByTestId('pay-amount').fill('500')
  await page.getByTestId('pay-card').click()
  await poll(() => text(page, 'toast')).toBe('€500.00 is more than the €2.50 due.')
})

test('split checks list their lines; a check paid in full is not shown as a warning', async () => {
  const page = till.page
  await openTable(page, 't6')
  await page.getByTestId('seat-1').click()
  await add(page, 'Cheesecake')
  await page.getByTestId('seat-2').click()
  await add(page, 'Sorbet')
  await page.getByTestId('pay').click()
  await page.getByTestId('split-seat').click()
  await poll(() => page.getByTestId('check-lines').allInnerTexts()).toEqual([
    '1× Cheesecake',
    '1× Sorbet',
  ])
  for (const n of [1, 2]) {
    await page.getByTestId(`check-${n}`).click()
    await page.getByTestId('pay-card').click()
    await poll(() => page.getByTestId(`check-${n}`).innerText()).toContain('Paid')
  }
  const balance = page.getByTestId('balance').locator('..')
  await poll(() => balance.innerText()).toMatch(/Paid in full/)
  const colour = await balance.evaluate((el) => getComputedStyle(el).color)
  expect(colour).toBe('rgb(21, 128, 61)') // --ok, not --warn
  await snap(page, 'truth-split-paid')
})

const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 1024, height: 768 },
] as const

/** True when the element's centre is on screen and it is what a finger there would hit. */
const reachable = (page: Page, testId: string) =>
  page.getByTestId(testId).evaluate((el) => {
    const r = el.getBoundingClientRect()
    const x = r.left + r.width / 2
    const y = r.top + r.height / 2
    if (y < 0 || y > innerHeight || x < 0 || x > innerWidth) return false
    const hit = document.elementFromPoint(x, y)
    return hit !== null && el.contains(hit)
  })

test('Fire and Check & pay are on screen without scrolling, and the lines scroll apart from the menu, at phone and tablet sizes', async () => {
  const page = till.page
  await openTable(page, 't7')
  await add(page, 'Sparkling water', 22)
  await poll(() => lines(page)).toBe(22)
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await page.getByTestId('nav-floor').click()
    await openTable(page, 't7')
    expect(await reachable(page, 'fire'), `Fire at ${size.name}`).toBe(true)
    expect(await reachable(page, 'pay'), `Check & pay at ${size.name}`).toBe(true)
    const scroll = await page.getByTestId('lines').evaluate((el) => {
      const menu = document.querySelector('[data-testid^=item-]')!
      const menuTop = menu.getBoundingClientRect().top
      el.scrollTop = el.scrollHeight
      return {
        scrolls: el.scrollHeight > el.clientHeight && el.scrollTop > 0,
        menuMoved: menu.getBoundingClientRect().top !== menuTop,
      }
    })
    expect(scroll, `lines at ${size.name}`).toEqual({ scrolls: true, menuMoved: false })
    // Scrolled to the bottom of the page too, the bar stays.
    await page.mouse.wheel(0, 5000)
    expect(await reachable(page, 'fire'), `Fire after scrolling at ${size.name}`).toBe(true)
    await snap(page, `truth-order-${size.name}`)
  }
})

/** Every visible element a finger taps that is smaller than 48 px either way. */
const smallTargets = (page: Page) =>
  page.evaluate(() => {
    const out: string[] = []
    for (const el of document.querySelectorAll<HTMLElement>(
      'button, a[href], input, select, textarea, [role=button], [onclick]',
    )) {
      const r = el.getBoundingClientRect()
      const style = getComputedStyle(el)
      if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue
      if (r.width < 47.5 || r.height < 47.5) {
        const name = el.dataset.testid ?? el.getAttribute('aria-label') ?? el.innerText.trim()
        out.push(
          `${el.tagName.toLowerCase()} "${name.slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`,
        )
      }
    }
    return out
  })

test('no element a finger taps is under 48 px on the floor, order and check screens, at phone and tablet sizes', async () => {
  const page = till.page
  for (const size of SIZES) {
    await page.setViewportSize(size)
    await page.getByTestId('nav-floor').click()
    expect(await smallTargets(page), `floor at ${size.name}`).toEqual([])
    await openTable(page, 't7')
    await page.getByTestId('line').first().click()
    await page.getByTestId('line-actions').waitFor()
    expect(await smallTargets(page), `order at ${size.name}`).toEqual([])
    await page.getByTestId('pay').click()
    await page.getByTestId('check-screen').waitFor()
    expect(await smallTargets(page), `check at ${size.name}`).toEqual([])
  }
  await page.setViewportSize({ width: 1280, height: 800 })
})

test('with the print bridge dead, the bar says printers are unreachable and what waits, and fired lines are not "printed"', async () => {
  const page = till.page
  await page.getByTestId('nav-floor').click()
  await poll(() => text(page, 'printer-state')).toBe('Printers OK')
  await stack.server.backend.stopPrinting('store-t')
  await poll(() => text(page, 'printer-state')).toBe('Printers unreachable')
  await openTable(page, 't8')
  await add(page, 'Soup of the day')
  await page.getByTestId('fire').click()
  await poll(() => text(page, 'printer-state')).toBe('Printers unreachable · 1 waiting')
  await poll(() => badge(page)).toBe('Sent to kitchen')
  await snap(page, 'truth-dead-bridge')
})
