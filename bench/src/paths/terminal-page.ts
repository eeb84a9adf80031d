// One terminal page in Chromium, measured from inside: an init script watches the DOM from the
// first byte of every navigation and notes the frame in which the floor's tables, and then every
// open check on them, are on screen (performance.now(): ms since the navigation started), the
// long tasks that blocked the main thread before, and the terminal's own `tabsync:` marks.
// The floor is either the one painted from the device's floor snapshot (`floor-preview`) or the
// live one (`floor`, from the device's documents); the live one is also timed on its own.
import type { BrowserContext, Page } from 'playwright-core'

/** What the probe saw in one page load (ms since its navigation started). */
export interface OpenTimes {
  /** The frame after the floor's first table tiles were in the DOM. */
  readonly floor: number
  /** The frame after every expected open check showed as busy on the floor (either one). */
  readonly checks: number
  /** The same on the live floor, drawn from the device's documents. */
  readonly live: number
  /** Main-thread long tasks (over 50 ms) that ended before `checks`: count and total ms. */
  readonly longTasks: number
  readonly longTaskMs: number
  /**
   * The terminal's `performance.mark`s named `tabsync:*`, by name, and when each of its files
   * arrived (`file:<name>`: resource timing's responseEnd).
   */
  readonly marks: Readonly<Record<string, number>>
}

interface ProbeState {
  floor?: number
  checks?: number
  live?: number
  longTasks: [number, number][]
}

/** Runs in the page before any of its scripts (an init script: no closure over this module). */
function probe(expected: number): void {
  const state: ProbeState = { longTasks: [] }
  ;(window as unknown as { __tabsyncOpen: ProbeState }).__tabsyncOpen = state
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) state.longTasks.push([e.startTime, e.duration])
    }).observe({ type: 'longtask', buffered: true })
  } catch {
    // No long-task timing in this browser: the counts stay 0.
  }
  const frame = (set: (t: number) => void) => requestAnimationFrame(() => set(performance.now()))
  let floorNoted = false
  const busyOn = (testid: string): number => {
    const tiles = document.querySelectorAll(`[data-testid="${testid}"] [data-state]`)
    if (tiles.length > 0 && !floorNoted) {
      floorNoted = true
      frame((t) => (state.floor = t))
    }
    let busy = 0
    tiles.forEach((el) => {
      if (el.getAttribute('data-state') !== 'free') busy++
    })
    return busy
  }
  let checksNoted = false
  const look = () => {
    const live = busyOn('floor') >= expected
    if (!checksNoted && (live || busyOn('floor-preview') >= expected)) {
      checksNoted = true
      frame((t) => (state.checks = t))
    }
    if (!live) return
    observer.disconnect()
    frame((t) => (state.live = t))
  }
  const observer = new MutationObserver(look)
  observer.observe(document, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-state'],
  })
}

/** Installs the probe in every page of `context`, expecting `openChecks` busy tables. */
export async function installProbe(context: BrowserContext, openChecks: number): Promise<void> {
  // tsx (esbuild, keepNames) wraps named functions in `__name(...)`, which the page lacks.
  await context.addInitScript({ content: 'globalThis.__name ??= (f) => f' })
  await context.addInitScript(probe, openChecks)
}

/**
 * Runs `navigate` (a goto or a reload of `page`) and resolves with what the probe saw once every
 * open check is on the live floor.
 */
export async function measureOpen(
  page: Page,
  navigate: () => Promise<unknown>,
  timeoutMs = 60_000,
): Promise<OpenTimes> {
  // Only the navigation's commit: the probe, not the load event, says when the floor is there.
  await navigate()
  await page.waitForFunction(
    () => (window as unknown as { __tabsyncOpen?: ProbeState }).__tabsyncOpen?.live !== undefined,
    undefined,
    { timeout: timeoutMs, polling: 50 },
  )
  return page.evaluate(() => {
    const s = (window as unknown as { __tabsyncOpen: ProbeState }).__tabsyncOpen
    const live = s.live as number
    const checks = s.checks ?? live
    const before = s.longTasks.filter(([start, d]) => start + d <= checks)
    const marks: Record<string, number> = {}
    for (const m of performance.getEntriesByType('mark')) {
      if (m.name.startsWith('tabsync:')) marks[m.name] ??= m.startTime
    }
    for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
      const file = /\/([^/?]+?)(-[\w-]{8})?\.(js|wasm|css|webmanifest)$/.exec(r.name)
      if (file) marks[`file:${file[1]}.${file[3]}`] ??= r.responseEnd
    }
    return {
      floor: s.floor ?? checks,
      checks,
      live,
      longTasks: before.length,
      longTaskMs: before.reduce((sum, [, d]) => sum + d, 0),
      marks,
    }
  })
}

/** Navigation start to the load event of `url` in `page` (the static file beside the floor). */
export async function staticLoad(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'load' })
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as
      PerformanceNavigationTiming | undefined
    if (!nav || nav.loadEventEnd <= 0) throw new Error('no navigation timing for the static file')
    return nav.loadEventEnd
  })
}
