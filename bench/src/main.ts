// `npm run bench [-- --quick] [--only core,latency] [--out file.json]`
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Recorder } from './figures.js'
import { gitState, machine, table, type ResultFile } from './report.js'
import { killAllChildren } from './child/processes.js'
import { WORKLOADS } from './workloads/index.js'
import type { BenchContext } from './workload.js'

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of [
    '@automerge/automerge',
    '@automerge/automerge-repo',
    '@automerge/automerge-repo-network-websocket',
    'ws',
    'yjs',
  ]) {
    try {
      const pkg = JSON.parse(
        await readFile(path.join(benchDir, '..', 'node_modules', name, 'package.json'), 'utf8'),
      ) as { version: string }
      out[name] = pkg.version
    } catch {
      out[name] = 'unknown'
    }
  }
  return out
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      runs: { type: 'string' },
    },
  })
  const quick = values.quick ?? false
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = only?.filter((n) => !WORKLOADS.some((w) => w.name === n)) ?? []
  if (unknown.length > 0) {
    throw new Error(
      `unknown workload(s) ${unknown.join(', ')}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`,
    )
  }
  const selected = WORKLOADS.filter((w) => !only || only.includes(w.name))
  // Quick mode keeps two runs (min/median/max still mean something) to finish in about a minute.
  const runs = values.runs ? Number(values.runs) : quick ? 2 : 5
  const tempRoot = await mkdtemp(path.join(os.tmpdir(), 'tabsync-bench-'))
  const recorder = new Recorder()
  const skipped: { workload: string; reason: string }[] = []
  const started = performance.now()
  const log = (m: string) =>
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${m}\n`)
  let n = 0
  const ctx: BenchContext = {
    quick,
    runs,
    recorder,
    log,
    tempDir: async (label) => {
      const dir = path.join(tempRoot, `${label}-${n++}`)
      await mkdir(dir, { recursive: true })
      return dir
    },
  }
  try {
    for (const w of selected) {
      log(`${w.name}: ${w.summary}`)
      const t = performance.now()
      try {
        await w.run(ctx)
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e)
        skipped.push({ workload: w.name, reason })
        log(`${w.name} did not complete: ${reason}`)
      } finally {
        await killAllChildren()
      }
      log(`${w.name} done in ${((performance.now() - t) / 1000).toFixed(1)}s`)
    }
  } finally {
    await killAllChildren()
    await rm(tempRoot, { recursive: true, force: true })
  }
  const figures = recorder.figures()
  const git = gitState(benchDir)
  const result: ResultFile = {
    tool: '@tabsync/bench',
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    ...git,
    machine: machine(),
    versions: await versions(),
    workloads: selected.map((w) => w.name),
    durationSec: Math.round((performance.now() - started) / 100) / 10,
    figures,
    skipped,
  }
  const out =
    values.out ??
    path.join(
      benchDir,
      'results',
      `${result.date.slice(0, 19).replace(/[:T]/g, '-')}-${result.mode}.json`,
    )
  await mkdir(path.dirname(out), { recursive: true })
  await writeFile(out, JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(`${table(figures)}\n`)
  for (const s of skipped) process.stdout.write(`skipped ${s.workload}: ${s.reason}\n`)
  process.stdout.write(
    `\n${figures.length} figures, ${runs} runs each, ${result.durationSec}s, node ${result.machine.node}, ${result.machine.cores} cores, commit ${git.commit.slice(0, 8)}${git.dirty ? ' (dirty)' : ''}\nresults: ${path.relative(process.cwd(), out)}\n`,
  )
}

main().catch(async (e: unknown) => {
  await killAllChildren()
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exitCode = 1
})
