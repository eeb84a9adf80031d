/*
 * Local first on screen: a reload shows the floor and its open checks from the device's own
 * storage while every network answer is held (the relay's WebSocket accepts and never answers,
 * /pairing.json, /time and the bulk /documents never answer), and a new device shows what it is
 * fetching, with counts, instead of a blank screen, and fetches it in one request made while the
 * app's code loads. Real Chromium against the demo server.
 */
import type { Request, Route, WebSocketRoute } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startStack, type Stack } from './harness.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack([{ storeId: 'store-a', name: 'Tabsync Bistro' }])
})

afterAll(async () => {
  await stack?.close()
})

const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 200 })

/** Requests the server would answer over the network: held, never answered (until released). */
const HELD = /\/(pairing\.json|time|documents)(\?|$)/

test('a reload shows the floor and its open check while the relay, pairing and /time never answer', async () => {
  const till = await stack.device('till-local')
  const page = till.page
  await page.getByTestId('table-t5').click()
  await page.getByTestId('order-screen').waitFor()
  await page.getByTestId('nav-floor').click()
  await poll(() => page.getByTestId('unsynced').innerText()).toBe('All sent')

  // From here on, nothing from the network is answered; each held item is watched for being
  // given up on (a timeout that let the page go on without it).
  const heldRoutes: Route[] = []
  const heldSockets: WebSocketRoute[] = []
  const closedSockets = new Set<WebSocketRoute>()
  const givenUp: string[] = []
  await page.route(HELD, (route) => void heldRoutes.push(route))
  await page.routeWebSocket(/\/sync$/, (ws) => {
    heldSockets.push(ws)
    ws.onClose(() => closedSockets.add(ws))
  })
  page.on('requestfailed', (r: Request) => {
    if (HELD.test(r.url())) givenUp.push(r.url())
  })

  await page.reload()
  await page.getByTestId('floor').waitFor({ timeout: 30_000 })
  await poll(() => page.getByTestId('table-t5').getAttribute('data-state')).toBe('open')
  // The floor came from storage while the network was still being waited on, not after a
  // deadline gave up on it: a socket to the relay is open and unanswered, the pairing held.
  // (The terminal itself replaces its first socket at start, so a closed one proves nothing.)
  expect(heldSockets.filter((ws) => !closedSockets.has(ws)).length).toBeGreaterThan(0)
  expect(heldRoutes.some((r) => r.request().url().includes('/pairing.json'))).toBe(true)
  expect(givenUp).toEqual([])
  await page.getByTestId('table-t5').click()
  await page.getByTestId('order-screen').waitFor()

  await page.unrouteAll({ behavior: 'ignoreErrors' })
  await till.context.close()
}, 120_000)

test('a new device shows what it fetches, with counts, and the store floor marked provisional until its own floor is there', async () => {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  // The bulk fetch of the store's documents (store, tables, checks) is held.
  const held: Route[] = []
  let release = false
  await page.route(/\/documents$/, (route) => {
    if (release) void route.continue()
    else held.push(route)
  })
  await page.goto(`${stack.url}/?device=till-new`)

  await poll(() => page.getByTestId('progress').innerText()).toMatch(
    /^Fetching tables from the store: 0 of \d+$/,
  )
  expect(await page.getByTestId('floor').count()).toBe(0)
  // Meanwhile the store's floor as the server sees it, with the check on t5, says it is
  // provisional: it is not this device's yet.
  const preview = page.getByTestId('floor-preview')
  expect(await preview.getByTestId('table-t5').getAttribute('data-state')).toBe('open')
  expect(await page.getByTestId('provisional').innerText()).toMatch(/^Provisional/)

  // Released: the tables arrive and the live floor replaces the provisional one.
  release = true
  expect(held.length).toBeGreaterThan(0)
  for (const r of held) await r.continue()
  await page.getByTestId('floor').waitFor({ timeout: 30_000 })
  // The check the first test opened on t5 is there as soon as the floor is: a new device's floor
  // never shows a busy table as free.
  expect(await page.getByTestId('table-t5').getAttribute('data-state')).toBe('open')
  expect(await page.getByTestId('provisional').count()).toBe(0)
  await context.close()
}, 120_000)

test('a new device asks for its store, tables and open checks in one request while the app code is still loading', async () => {
  // No service worker, so that page.route sees (and can hold) the app's own code.
  const context = await stack.browser.newContext({
    viewport: { width: 1280, height: 800 },
    serviceWorkers: 'block',
  })
  const page = await context.newPage()
  const bulk: string[] = []
  page.on('request', (r) => {
    if (/\/documents$/.test(r.url())) bulk.push(r.postData() ?? '')
  })
  const heldApp: Route[] = []
  await page.route(/\/assets\/App-[\w-]+\.js$/, (route) => void heldApp.push(route))
  await page.goto(`${stack.url}/?device=till-one-request`)

  // The start chunk alone asks: the app's code has not arrived yet.
  await poll(async () => bulk.length).toBe(1)
  expect(heldApp.length).toBe(1)
  const asked = (JSON.parse(bulk[0]!) as { ids: string[] }).ids
  const storeId = stack.server.stores['store-a']!.replace('automerge:', '')
  expect(asked[0]).toBe(storeId)
  // The store, its 18 tables and at least the check the first test opened on t5.
  expect(asked.length).toBeGreaterThan(19)

  for (const r of heldApp) await r.continue()
  await page.unroute(/\/assets\/App-[\w-]+\.js$/)
  await page.getByTestId('floor').waitFor({ timeout: 30_000 })
  expect(await page.getByTestId('table-t5').getAttribute('data-state')).toBe('open')
  // Nothing more was needed before the floor: it came from that one answer.
  expect(bulk.length).toBe(1)
  await context.close()
}, 120_000)

test("a start asks for Automerge's wasm while the app code is still loading, and starts on it", async () => {
  // No service worker, so that page.route sees (and can hold) the app's own code.
  const context = await stack.browser.newContext({
    viewport: { width: 1280, height: 800 },
    serviceWorkers: 'block',
  })
  const page = await context.newPage()
  const wasm: string[] = []
  page.on('request', (r) => {
    if (/\.wasm$/.test(r.url())) wasm.push(r.url())
  })
  const heldApp: Route[] = []
  await page.route(/\/assets\/App-[\w-]+\.js$/, (route) => void heldApp.push(route))
  await page.goto(`${stack.url}/?device=till-early-wasm`)

  // The start chunk alone asks for it: the app's code, which would ask otherwise, is held.
  await poll(async () => wasm.length).toBe(1)
  expect(heldApp.length).toBe(1)

  for (const r of heldApp) await r.continue()
  await page.unroute(/\/assets\/App-[\w-]+\.js$/)
  await page.getByTestId('floor').waitFor({ timeout: 30_000 })
  expect(await page.getByTestId('table-t5').getAttribute('data-state')).toBe('open')
  // Automerge started on that wasm: the app asked for no other.
  expect(wasm.length).toBe(1)
  await context.close()
}, 120_000)

test('a reload paints the floor this device last showed before the app code loads; a table tapped on it opens once the app is up', async () => {
  // No service worker here, so that page.route sees (and can hold) the app's own code.
  const context = await stack.browser.newContext({
    viewport: { width: 1280, height: 800 },
    serviceWorkers: 'block',
  })
  const page = await context.newPage()
  await page.goto(`${stack.url}/?device=till-snapshot`)
  await page.getByTestId('table-t7').click()
  await page.getByTestId('order-screen').waitFor()
  await page.getByTestId('nav-floor').click()
  await poll(() => page.getByTestId('table-t7').getAttribute('data-state')).toBe('open')

  // The app chunk (its code, Automerge, the device) is held: only the start chunk runs.
  const held: Route[] = []
  await page.route(/\/assets\/App-[\w-]+\.js$/, (route) => void held.push(route))
  await page.reload()
  const preview = page.getByTestId('floor-preview')
  await preview.waitFor({ timeout: 30_000 })
  expect(await preview.getByTestId('table-t7').getAttribute('data-state')).toBe('open')
  expect(await preview.getByTestId('table-t1').getAttribute('data-state')).toBe('free')
  expect(held.length).toBe(1)
  expect(await page.getByTestId('floor').count()).toBe(0)

  // Tapped before the app is there: kept, and the check opens once the live floor is up.
  await preview.getByTestId('table-t7').click()
  await poll(() => page.getByTestId('progress').innerText()).toBe('Opening 7…')
  for (const r of held) await r.continue()
  await page.unroute(/\/assets\/App-[\w-]+\.js$/)
  await page.getByTestId('order-screen').waitFor({ timeout: 30_000 })
  expect(await page.getByTestId('floor-preview').count()).toBe(0)
  await context.close()
}, 120_000)
