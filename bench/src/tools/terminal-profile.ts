// Where a terminal start spends the main thread: opens a new device against the demo server
// (as the terminal-open workload does), then records a V8 CPU profile of one start
// (`new`, `online` reload or `offline` reload) until every open check is on the floor, prints
// the functions and files with the most self time, and writes the .cpuprofile (DevTools opens it).
//
//   npx tsx bench/src/tools/terminal-profile.ts [new|online|offline] [out.cpuprofile]
//
// TABSYNC_BENCH_TERMINAL_DIST=<dir> profiles another build, e.g. one made with
// `npx vite build --minify false --outDir <dir>` in examples/terminal (readable function names).
import { writeFile } from 'node:fs/promises'
import { mkdtemp } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { startChild } from '../child/processes.js'
import { launchChromium } from '../fixtures/chromium.js'
import { installProbe, measureOpen } from '../paths/terminal-page.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const scenario = (process.argv[2] ?? 'online') as 'new' | 'online' | 'offline'
const out = process.argv[3] ?? `terminal-${scenario}.cpuprofile`
const dist =
  process.env['TABSYNC_BENCH_TERMINAL_DIST'] ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/terminal/dist')

const server = await startChild('terminal-server', {
  env: {
    TABSYNC_BENCH_DIR: await mkdtemp(path.join(os.tmpdir(), 'tabsync-profile-')),
    TABSYNC_BENCH_DIST: dist,
  },
})
await server.request({ type: 'seed' }, 300_000)
const url = server.ready['url'] as string
const browser = await launchChromium()
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    serviceWorkers: 'allow',
  })
  await installProbe(context, 15)
  const page = await context.newPage()
  const at = `${url}/?device=profile-${Date.now().toString(36)}`
  const cdp = await context.newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  const profiled = async (navigate: (p: Page) => Promise<unknown>) => {
    await cdp.send('Profiler.start')
    const times = await measureOpen(page, () => navigate(page))
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile }
    return { times, profile }
  }
  let result
  if (scenario === 'new') {
    result = await profiled((p) => p.goto(at, { waitUntil: 'commit' }))
  } else {
    await page.goto(at, { waitUntil: 'commit' })
    await measureOpen(page, async () => undefined)
    await page.waitForFunction(
      () => document.querySelector('[data-testid="unsynced"]')?.textContent?.trim() === 'All sent',
      undefined,
      { timeout: 60_000 },
    )
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
    await new Promise((r) => setTimeout(r, 1000))
    if (scenario === 'offline') await context.setOffline(true)
    result = await profiled((p) => p.reload({ waitUntil: 'commit' }))
  }
  await writeFile(out, JSON.stringify(result.profile))
  const { times, profile } = result
  console.log(
    `${scenario}: floor ${times.floor.toFixed(0)} ms, checks ${times.checks.toFixed(0)} ms`,
  )
  console.log(
    'marks:',
    Object.entries(times.marks)
      .sort((a, b) => a[1] - b[1])
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', '),
  )
  // Self time per function and per file, from the samples (each sample's delta is its time).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const fn = new Map<string, number>()
  const file = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)
    if (!n) return
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const f = n.callFrame
    const where = f.url
      ? f.url.replace(/^.*\//, '')
      : f.functionName.startsWith('(')
        ? ''
        : 'native'
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + ms)
    const fk = where || f.functionName
    file.set(fk, (file.get(fk) ?? 0) + ms)
  })
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${v.toFixed(1).padStart(8)} ms  ${k}`)
      .join('\n')
  console.log(`self time by file:\n${top(file, 12)}`)
  console.log(`self time by function:\n${top(fn, 30)}`)
  console.log(`profile written to ${out}`)
} finally {
  await browser.close()
  await server.stop()
}
