// What every workload gets from the runner, and what it must provide.
import type { Recorder } from './figures.js'

/** The runner's services for one workload. */
export interface BenchContext {
  /** Short mode: fewer runs and samples, the whole bench in about a minute. */
  readonly quick: boolean
  /** How many times each figure is measured (its min/median/max come from these runs). */
  readonly runs: number
  readonly recorder: Recorder
  /** A fresh directory under the bench's temp root (removed when the bench ends). */
  tempDir(label: string): Promise<string>
  /** Progress to stderr (stdout is the table). */
  log(message: string): void
}

/** One named workload (`--only <name>` selects it). */
export interface Workload {
  readonly name: string
  readonly summary: string
  run(ctx: BenchContext): Promise<void>
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = (): number => performance.now()

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Lets pending I/O and timers run (one macrotask turn). */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
