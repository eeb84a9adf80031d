// The demo port answers the app for `/` only: unknown paths are 404 (not the app's HTML), and the
// relay's readiness and metrics are proxied.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
