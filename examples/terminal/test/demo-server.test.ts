// The demo port answers the app for `/` only: unknown paths are 404 (not the app's HTML), and the
// relay's readiness and metrics are proxied. The demo store is created like any device's.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAutomergeUrl, type AutomergeUrl } from '@automerge/automerge-repo'
import { isIdOfStore } from '@tabsync/core/internal'
import { openDevice } from '@tabsync/sync'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startDemoServer, type DemoServer } from '../server/demo-server.js'

let dir: string
let server: DemoServer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tabsync-demo-'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>terminal</title>')
  server = await startDemoServer({ port: 0, distDir: dir, dataDir: join(dir, 'data') })
})

afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
})

test('the demo port serves the app at / and 404 for unknown paths, never the HTML', async () => {
  const home = await fetch(`${server.url}/?device=till-2`)
  expect(home.status).toBe(200)
  expect(await home.text()).toContain('<title>terminal</title>')
  for (const path of ['/api/orders', '/nope', '/assets/missing.js']) {
    const res = await fetch(`${server.url}${path}`)
    expect(res.status, path).toBe(404)
    expect(await res.text(), path).not.toContain('<title>')
  }
})

test("the demo port proxies the relay's /readyz and /metrics", async () => {
  const ready = await fetch(`${server.url}/readyz`)
  expect(ready.status).toBe(200)
  expect(await ready.json()).toEqual({ ready: true })
  const metrics = await fetch(`${server.url}/metrics`)
  expect(metrics.status).toBe(200)
  expect(metrics.headers.get('content-type')).toContain('text/plain')
  expect(await metrics.text()).toMatch(/^# HELP tabsync_/m)
})

test("the demo store's documents have ids bound to its store id, as any device creates them", async () => {
  const storeId = 'demo-bistro'
  const storeUrl = server.stores[storeId] as AutomergeUrl
  const till = await openDevice({
    deviceId: 'till-bound-check',
    storeUrl,
    token: await server.backend.issueToken('till-bound-check', storeId),
    endpoints: [{ url: server.backend.relay.syncUrl, kind: 'relay' }],
    storage: 'memory',
  })
  try {
    await till.ready()
    const urls = [storeUrl, ...Object.values(till.store().tables).map((t) => t.url as AutomergeUrl)]
    expect(urls.length).toBeGreaterThan(1)
    const bound = async (url: AutomergeUrl, id: string) =>
      isIdOfStore(parseAutomergeUrl(url).binaryDocumentId, id)
    const verdicts = await Promise.all(
      urls.map(async (url) => ({
        url,
        own: await bound(url, storeId),
        other: await bound(url, 'other-store'),
      })),
    )
    expect(verdicts).toEqual(urls.map((url) => ({ url, own: true, other: false })))
  } finally {
    await till.close()
  }
})
