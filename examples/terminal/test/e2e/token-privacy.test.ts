/*
 * The device token never shows up where people and proxies look: not in the browser console
 * (a failed WebSocket connect logs its URL), not in any URL the page asks for.
 * Real Chromium against the demo server (harness.ts).
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startStack, type Stack, type TestDevice } from './harness.js'

let stack: Stack
let till: TestDevice

beforeAll(async () => {
  stack = await startStack([{ storeId: 'store-a', name: 'Tabsync Bistro' }])
  till = await stack.device('till-privacy')
})

afterAll(async () => {
  await stack?.close()
})

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 200 })
const syncClass = () => till.page.getByTestId('sync-state').getAttribute('class')

test('no console message and no requested URL contains the device token, also while connects fail', async () => {
  await poll(syncClass).toMatch(/\bonline\b/)
  const token = await till.page.evaluate(
    (key) => (JSON.parse(localStorage.getItem(key) ?? '{}') as { token?: string }).token,
    'tabsync.pairing.till-privacy',
  )
  expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)

  // Cut the network: the device goes offline with the browser (it stops connecting). Then the
  // page hears "online" while the network is still down (a captive portal, a flaky Wi-Fi): the
  // link retries, and every failed connect makes Chromium log an error with the URL it tried.
  await till.context.setOffline(true)
  await poll(syncClass).not.toMatch(/\bonline\b/)
  await till.page.evaluate(() => window.dispatchEvent(new Event('online')))
  await poll(
    async () => till.seen.console.filter((m) => m.includes('/sync')).length,
  ).toBeGreaterThan(0)
  await till.context.setOffline(false)
  await poll(syncClass).toMatch(/\bonline\b/)

  // The socket and the HTTP requests were made (so the checks below looked at something).
  expect(till.seen.urls.some((u) => u.startsWith('ws') && u.endsWith('/sync'))).toBe(true)
  expect(till.seen.urls.some((u) => u.includes('/pairing.json'))).toBe(true)
  const signature = token!.split('.')[2]!
  const leaks = [...till.seen.console, ...till.seen.urls].filter(
    (line) => line.includes(token!) || line.includes(signature) || /[?&]token=/.test(line),
  )
  expect(leaks).toEqual([])
}, 90_000)
