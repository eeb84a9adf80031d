// The result model: every figure is a spread over repeated runs, optionally compared to a floor
// or a peer measured in the same run.
import { ratio, roundSig, spread, type Spread } from './stats.js'

/** Units a figure can be in. */
export const Unit = { ms: 'ms', us: 'µs', bytes: 'bytes', count: 'count', mb: 'MB' } as const
export type Unit = (typeof Unit)[keyof typeof Unit]

/** Which stack produced a figure. */
export const Path = {
  tabsync: 'tabsync',
  /** Tabsync with the change fast path off (sync exchange only), for the same-run comparison. */
  tabsyncSyncOnly: 'tabsync-sync-only',
  automerge: 'automerge',
  stock: 'stock-repo',
  stockNoThrottle: 'stock-repo-nothrottle',
  yjs: 'yjs',
  floor: 'floor',
} as const
export type Path = (typeof Path)[keyof typeof Path]

/** A target from the issue: lower is better unless `higher` is set. */
export interface Target {
  readonly value: number
  readonly higher?: boolean
}

/** One measured figure as it is written to the results file. */
export interface Figure extends Spread {
  readonly id: string
  readonly workload: string
  readonly name: string
  readonly path: Path
  readonly unit: Unit
  /** Id of the figure this one is compared to, and `median / reference median`. */
  readonly vs: string | null
  readonly ratio: number | null
  readonly target: Target | null
  /** Whether the median meets the target (null when there is none). */
  readonly met: boolean | null
  readonly note: string | null
}

/** What a workload declares about a figure besides its values. */
export interface FigureSpec {
  readonly name: string
  readonly path: Path
  readonly unit: Unit
  readonly vs?: string
  readonly target?: Target
  readonly note?: string
}

/** Collects the figures of one bench run; ratios are resolved at the end (any order). */
export class Recorder {
  readonly #figures = new Map<string, Omit<Figure, 'ratio' | 'met'>>()

  /** Records the values of `spec` over the runs of `workload` (one value per run). */
  record(workload: string, spec: FigureSpec, values: readonly number[]): string {
    const id = `${workload}.${spec.name}`
    const s = spread(values.map((v) => roundSig(v, 4)))
    this.#figures.set(id, {
      id,
      workload,
      name: spec.name,
      path: spec.path,
      unit: spec.unit,
      ...s,
      vs: spec.vs ?? null,
      target: spec.target ?? null,
      note: spec.note ?? null,
    })
    return id
  }

  /** True if a figure with this id was recorded. */
  has(id: string): boolean {
    return this.#figures.has(id)
  }

  /** Every figure with its ratio and target outcome resolved. */
  figures(): Figure[] {
    return [...this.#figures.values()].map((f) => {
      const ref = f.vs === null ? undefined : this.#figures.get(f.vs)
      const met =
        f.target === null
          ? null
          : f.target.higher
            ? f.median >= f.target.value
            : f.median <= f.target.value
      return { ...f, ratio: ratio(f.median, ref?.median), met }
    })
  }
}

/**
 * Runs `once` `runs` times and returns, for every metric it reported, the values of every run.
 * A metric missing from a run is an error: figures must come from the same runs.
 */
export async function repeat(
  runs: number,
  once: (run: number) => Promise<Record<string, number>> | Record<string, number>,
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {}
  for (let run = 0; run < runs; run++) {
    const metrics = await once(run)
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) throw new Error(`metric ${key} is not a finite number: ${value}`)
      ;(out[key] ??= []).push(value)
    }
  }
  for (const [key, values] of Object.entries(out)) {
    if (values.length !== runs)
      throw new Error(`metric ${key} was reported in ${values.length}/${runs} runs`)
  }
  return out
}
