#!/usr/bin/env node
// `npm run fuzz [-- --budget 10m]`: the randomized tests of core, sync and printer at their long
// run counts, bounded in time. The budget is shared out over the properties found in the test
// files; each property stops at its share (fast-check's interruptAfterTimeLimit, not a failure)
// or at its long run count, whichever comes first. Prints the plan and when it will be done, then
// one line per test as it finishes (vitest's verbose reporter). A failure prints
// TABSYNC_SEED=<seed> to replay it.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const PROJECTS = ['core', 'sync', 'printer']
const PROPERTY = /\b(assertProperty|fc\.assert)\(/g

const { values } = parseArgs({
  options: { budget: { type: 'string', default: '10m' }, help: { type: 'boolean', short: 'h' } },
})
if (values.help) {
  console.log(`Usage: npm run fuzz [-- --budget <n>s|<n>m|<n>h]   (default 10m)`)
  process.exit(0)
}
const match = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(values.budget)
if (!match) {
  console.error(`fuzz: --budget must look like 90s, 10m or 1h, got ${values.budget}`)
  process.exit(2)
}
const budgetMs = Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2]]

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return []
    const p = join(dir, e.name)
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : []
  })
}
const files = PROJECTS.flatMap((p) => testFiles(join(root, 'packages', p)))
  .map((f) => ({ f, n: (readFileSync(f, 'utf8').match(PROPERTY) ?? []).length }))
  .filter((x) => x.n > 0)
const properties = files.reduce((sum, x) => sum + x.n, 0)
// Files run on parallel workers, but a loaded machine gives them no more than one core each:
// share the budget as if they ran one after another, so the stated end holds.
const perPropertyMs = Math.max(1_000, Math.floor(budgetMs / properties))
const end = new Date(Date.now() + budgetMs)
console.log(
  `fuzz: ${properties} properties in ${files.length} files, up to ${Math.round(perPropertyMs / 1000)} s each;` +
    ` budget ${values.budget}, done by about ${end.toISOString().slice(11, 16)} UTC (plus start-up)`,
)
for (const { f, n } of files) console.log(`  ${relative(root, f)}: ${n}`)

const child = spawn(
  process.execPath,
  [
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    'vitest.workspace.ts',
    ...PROJECTS.flatMap((p) => ['--project', p]),
    '--reporter=verbose',
    `--testTimeout=${perPropertyMs * 4 + 120_000}`,
    ...files.map((x) => relative(root, x.f)),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TABSYNC_FUZZ: 'long', TABSYNC_FUZZ_PROPERTY_MS: String(perPropertyMs) },
  },
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
