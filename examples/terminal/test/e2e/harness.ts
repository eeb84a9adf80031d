/*
 * Shared pieces of the browser tests: one build, one demo server (sync + pairing + static files)
 * on port 0 with a fresh data directory, one Chromium, and one browser context per device.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { startDemoServer, type DemoServer, type DemoStoreSpec } from '../../server/demo-server.js'
import { isBuildStale } from '../../server/stale-build.js'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const artifacts = join(root, 'test-results')

/** Builds the terminal unless `dist` is newer than every source file. */
export function buildOnce(): void {
  if (!isBuildStale(root)) return
  const r = spawnSync('npx', ['vite', 'build'], { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`)
}

/** Debian's Chromium (or `CHROMIUM_PATH`), headless, as every browser test runs it. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    )
  }
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  })
}

export interface Stack {
  readonly server: DemoServer
  readonly browser: Browser
  readonly url: string
  device(deviceId: string, options?: DeviceOptions): Promise<TestDevice>
  close(): Promise<void>
}

export interface DeviceOptions {
  readonly store?: string
  /** Set the device's wall clock before the app loads. */
  readonly clockAt?: Date
  readonly viewport?: { width: number; height: number }
}

export interface TestDevice {
  readonly context: BrowserContext
  readonly page: Page
  readonly deviceId: string
  /** What the page put on its console, and every URL it asked for (HTTP and WebSocket). */
  readonly seen: { readonly console: string[]; readonly urls: string[] }
}

/** Starts the server and Chromium; `device()` opens a terminal in its own browser profile. */
export async function startStack(stores?: readonly DemoStoreSpec[]): Promise<Stack> {
  buildOnce()
  mkdirSync(artifacts, { recursive: true })
  const dataDir = await mkdtemp(join(tmpdir(), 'tabsync-e2e-'))
  const server = await startDemoServer({
    port: 0,
    distDir: join(root, 'dist'),
    dataDir,
    ...(stores ? { stores } : {}),
  })
  const browser = await launchChromium().catch(async (err: unknown) => {
    await server.close()
    throw err
  })
  const contexts: BrowserContext[] = []
  return {
    server,
    browser,
    url: server.url,
    async device(deviceId, options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1280, height: 800 },
        serviceWorkers: 'allow',
      })
      contexts.push(context)
      const page = await context.newPage()
      page.on('pageerror', (e) => console.error(`[${deviceId}] page error: ${e.message}`))
      const seen = { console: [] as string[], urls: [] as string[] }
      page.on('console', (m) => seen.console.push(m.text()))
      page.on('request', (r) => seen.urls.push(r.url()))
      page.on('websocket', (ws) => seen.urls.push(ws.url()))
      if (options.clockAt) await page.clock.setSystemTime(options.clockAt)
      const q = new URLSearchParams({ device: deviceId })
      if (options.store) q.set('store', options.store)
      await page.goto(`${server.url}/?${q}`)
      await page.getByTestId('floor').waitFor({ timeout: 30_000 })
      return { context, page, deviceId, seen }
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined)
      await browser.close()
      await server.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** Saves a screenshot under test-results/ (gitignored). */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) })
}
