// Workload: the terminal itself in Chromium (issue 15), from navigation to the floor with every
// open check on screen: a new device (fresh browser profile), a reload of a device that has
// everything stored with the network up, and the same reload with the network cut, beside a
// static file from the same server in the same run. The demo server (relay, pairing, /time,
// print bridge, the built terminal) runs in its own process as `npm start` runs it.
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startChild } from '../child/processes.js'
import { Path, Unit } from '../figures.js'
import { launchChromium } from '../fixtures/chromium.js'
import { installProbe, measureOpen, staticLoad, type OpenTimes } from '../paths/terminal-page.js'
import { median } from '../stats.js'
import { sleep, type BenchContext, type Workload } from '../workload.js'

const W = 'terminal-open'
const terminalDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../examples/terminal',
)
/** Another build of the terminal to measure (a before/after comparison), else its own dist/. */
const OTHER_DIST = process.env['TABSYNC_BENCH_TERMINAL_DIST']
const DIST = OTHER_DIST ?? path.join(terminalDir, 'dist')
/** About the open checks of a store in service (issue 15). */
const OPEN_CHECKS = 15
const SCENARIOS = ['new', 'online', 'offline'] as const
type Scenario = (typeof SCENARIOS)[number]

function newest(dir: string): number {
  let latest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    latest = Math.max(latest, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return latest
}

/** The built terminal, refused when older than its sources (the figures would be of old code). */
function checkBuilt(): void {
  const index = path.join(DIST, 'index.html')
  if (!existsSync(index))
    throw new Error(`${index} is missing: run npm run bench (it builds first)`)
  if (!OTHER_DIST && statSync(index).mtimeMs < newest(path.join(terminalDir, 'src'))) {
    throw new Error('examples/terminal/dist is older than its sources: run npm run bench')
  }
}

/** Waits until the device has sent everything and the service worker has the app cached. */
async function settle(page: Page): Promise<number> {
  await page.waitForFunction(
    () => document.querySelector('[data-testid="unsynced"]')?.textContent?.trim() === 'All sent',
    undefined,
    { timeout: 60_000, polling: 100 },
  )
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  // The work a start leaves for after its floor (the day view opening the recent days, the
  // catch-up's storage writes) must be over, so the next reload measures a device at rest, as a
  // till reloaded in service would be: the main thread idle for a whole second (every idle
  // period of it a full one), at most 20 s; then a second for what runs off the main thread.
  const waited = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const start = performance.now()
        let quietSince = start
        const check = (deadline: IdleDeadline) => {
          const now = performance.now()
          if (deadline.timeRemaining() < 45) quietSince = now
          if (now - quietSince >= 1000 || now - start > 20_000) resolve(now - start)
          else requestIdleCallback(check)
        }
        requestIdleCallback(check)
      }),
  )
  await sleep(1000)
  return waited
}

async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'allow' })
}

export const terminalOpenWorkload: Workload = {
  name: W,
  summary: `terminal in Chromium: navigation -> floor with ${OPEN_CHECKS} open checks (new device, reload online/offline) vs a static file`,
  async run(ctx: BenchContext) {
    checkBuilt()
    const server = await startChild('terminal-server', {
      env: {
        TABSYNC_BENCH_DIR: await ctx.tempDir('terminal-server'),
        TABSYNC_BENCH_DIST: DIST,
        TABSYNC_BENCH_OPEN_CHECKS: String(OPEN_CHECKS),
      },
    })
    const url = server.ready['url'] as string
    await server.request({ type: 'seed' }, 300_000)
    const browser = await launchChromium()
    const times: Record<Scenario, OpenTimes[]> = { new: [], online: [], offline: [] }
    const statics: number[] = []
    try {
      for (let run = 0; run < ctx.runs; run++) {
        ctx.log(`${W} run ${run + 1}/${ctx.runs}`)
        // The floor: a static file of the same server, first load in a fresh profile.
        const plain = await newContext(browser)
        statics.push(await staticLoad(await plain.newPage(), `${url}/icon.svg`))
        await plain.close()

        const context = await newContext(browser)
        await installProbe(context, OPEN_CHECKS)
        const page = await context.newPage()
        page.on('pageerror', (e) => ctx.log(`${W}: page error: ${e.message}`))
        const at = `${url}/?device=bench-${run}-${Date.now().toString(36)}`
        times.new.push(await measureOpen(page, () => page.goto(at, { waitUntil: 'commit' })))
        const rested = [await settle(page)]
        times.online.push(await measureOpen(page, () => page.reload({ waitUntil: 'commit' })))
        rested.push(await settle(page))
        // Offline as a till sees it: the browser reports offline, the relay socket, /pairing.json
        // and /time fail at once, the app's files come from its service worker.
        await context.setOffline(true)
        times.offline.push(await measureOpen(page, () => page.reload({ waitUntil: 'commit' })))
        await context.setOffline(false)
        await context.close()
        const last = (s: Scenario) =>
          `${times[s][run]?.checks.toFixed(0)} (live ${times[s][run]?.live.toFixed(0)})`
        ctx.log(
          `${W}: static ${statics[run]?.toFixed(0)} ms, new ${last('new')}, online ${last('online')}, offline ${last('offline')}; main thread at rest after ${rested.map((t) => t.toFixed(0)).join(' / ')} ms`,
        )
      }
    } finally {
      await browser.close()
      await server.stop()
    }
    record(ctx, statics, times)
  },
}

const LABEL: Record<Scenario, string> = {
  new: 'new device (fresh profile)',
  online: 'reload, data on the device, online',
  offline: 'reload, data on the device, offline',
}
const TARGET: Record<Scenario, number> = { new: 1000, online: 300, offline: 300 }

function record(ctx: BenchContext, statics: number[], times: Record<Scenario, OpenTimes[]>): void {
  const floor = ctx.recorder.record(
    W,
    {
      name: 'static file (/icon.svg), same server: navigation -> load',
      path: Path.floor,
      unit: Unit.ms,
      note: 'fresh profile, from the network',
    },
    statics,
  )
  for (const s of SCENARIOS) {
    const runs = times[s]
    ctx.recorder.record(
      W,
      {
        name: `${LABEL[s]}: navigation -> floor with ${OPEN_CHECKS} open checks on screen`,
        path: Path.tabsync,
        unit: Unit.ms,
        vs: floor,
        target: { value: TARGET[s] },
        note:
          'the first floor with every check, snapshot or live; ' +
          (s === 'offline'
            ? 'browser offline (context.setOffline): app files from the service worker'
            : s === 'new'
              ? 'empty IndexedDB, no service worker yet'
              : 'page.reload(), app files from the service worker'),
      },
      runs.map((t) => t.checks),
    )
    ctx.recorder.record(
      W,
      {
        name: `${LABEL[s]}: navigation -> live floor (documents loaded) with the checks`,
        path: Path.tabsync,
        unit: Unit.ms,
        note: 'the floor drawn from the documents in storage, replacing the snapshot',
      },
      runs.map((t) => t.live),
    )
    ctx.recorder.record(
      W,
      {
        name: `${LABEL[s]}: main-thread long tasks before the floor, total`,
        path: Path.tabsync,
        unit: Unit.ms,
        note: 'PerformanceObserver longtask (> 50 ms each)',
      },
      runs.map((t) => t.longTaskMs),
    )
    // The terminal's own marks, where the time went (printed, not figures: they change with the
    // code they instrument).
    const names = new Set(runs.flatMap((t) => Object.keys(t.marks)))
    const marks = [...names]
      .map((n) => [n, median(runs.map((t) => t.marks[n] ?? Number.NaN))] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([n, ms]) => `${n.replace(/^tabsync:/, '')} ${ms.toFixed(0)}`)
    ctx.log(`${W}: ${s} marks (median ms since navigation): ${marks.join(', ') || 'none'}`)
  }
}
