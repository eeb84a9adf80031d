import fc from 'fast-check'

/*
 * One way to run a randomized test: a CI budget, 100x under `npm run fuzz` (TABSYNC_FUZZ=long),
 * an exact count with TABSYNC_FUZZ_RUNS, and the fast-check seed printed on failure so that
 * `TABSYNC_SEED=<seed>` replays the same run. The seed is fast-check's: everything a run draws
 * (network seeds, schedules, faults) comes from it.
 */

/** True for `npm run fuzz`: the same properties at 100x the runs. */
export const LONG_FUZZ = process.env['TABSYNC_FUZZ'] === 'long'

/** How many runs a property gets: TABSYNC_FUZZ_RUNS, else `ciRuns` (100x when long). */
export function fuzzRuns(ciRuns: number): number {
  const exact = process.env['TABSYNC_FUZZ_RUNS']
  return exact ? Number(exact) : LONG_FUZZ ? ciRuns * 100 : ciRuns
}

/** The seed of this run: TABSYNC_SEED to replay one, else a fresh one. */
export function fuzzSeed(): number {
  const env = process.env['TABSYNC_SEED']
  return env ? Number(env) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0
}

/**
 * Checks a property (sync or async) with the budget above; a failure's message ends with
 * `Replay with TABSYNC_SEED=<seed>`, which is also printed on stderr.
 *
 * @example
 * await assertProperty(fc.asyncProperty(fc.nat(), async (n) => { ... }), { runs: 4 })
 */
export async function assertProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  options: { runs: number; endOnFailure?: boolean; seed?: number },
): Promise<void> {
  // A caller that prints its own failure context passes the seed so it can name it too.
  const seed = options.seed ?? fuzzSeed()
  try {
    await fc.assert(property, {
      numRuns: fuzzRuns(options.runs),
      seed,
      endOnFailure: options.endOnFailure ?? !LONG_FUZZ,
    })
  } catch (e) {
    const replay = `Replay with TABSYNC_SEED=${seed}`
    console.error(replay)
    if (e instanceof Error) e.message += `\n${replay}`
    throw e
  }
}
