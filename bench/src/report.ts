// The stdout table and the results file.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import type { Figure } from './figures.js'

/** Where and how a result was measured. */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryMb: number
  readonly platform: string
  readonly node: string
  readonly loadAverage: readonly number[]
}

/** The JSON written under bench/results/. */
export interface ResultFile {
  readonly tool: '@tabsync/bench'
  readonly date: string
  readonly mode: 'quick' | 'full'
  readonly commit: string
  readonly dirty: boolean
  readonly machine: Machine
  readonly versions: Record<string, string>
  readonly workloads: readonly string[]
  readonly durationSec: number
  readonly figures: readonly Figure[]
  readonly skipped: readonly { workload: string; reason: string }[]
}

/** The machine as the OS reports it. */
export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

/** HEAD's commit and whether the tree has uncommitted changes (outside bench/results). */
export function gitState(cwd: string): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim()
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    })
    return { commit, dirty: status.trim().length > 0 }
  } catch {
    return { commit: 'unknown', dirty: true }
  }
}

/** A human number: 3 significant digits, no exponent. */
export function fmt(v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1000) return Math.round(v).toLocaleString('en-US')
  if (a >= 100) return v.toFixed(0)
  if (a >= 10) return v.toFixed(1)
  if (a >= 1) return v.toFixed(2)
  return v.toPrecision(2)
}

/** The figures as a fixed-width text table (for stdout) or a Markdown table. */
export function table(figures: readonly Figure[], markdown = false): string {
  const head = ['workload', 'figure', 'path', 'median', 'min..max', 'unit', 'ratio', 'vs', 'target']
  const rows = figures.map((f) => [
    f.workload,
    f.name,
    f.path,
    fmt(f.median),
    `${fmt(f.min)}..${fmt(f.max)}`,
    f.unit,
    f.ratio === null ? '' : `${fmt(f.ratio)}x`,
    f.vs === null ? '' : f.vs.slice(f.vs.indexOf('.') + 1),
    f.target === null
      ? ''
      : `${f.target.higher ? '>=' : '<='} ${fmt(f.target.value)} ${f.met ? 'met' : 'MISSED'}`,
  ])
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`
    return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
