import fc from 'fast-check'

/** True for `npm run fuzz`: the same properties at 100x the runs. */
export const LONG = process.env['TABSYNC_FUZZ'] === 'long'

/**
 * `npm run fuzz --budget` gives each property a share of the time (TABSYNC_FUZZ_PROPERTY_MS):
 * the property stops there, passing, if its run count is not reached by then.
 */
export function timeLimit(): { interruptAfterTimeLimit?: number } {
  const ms = Number(process.env['TABSYNC_FUZZ_PROPERTY_MS'])
  return ms > 0 ? { interruptAfterTimeLimit: ms } : {}
}

/**
 * Checks a property with a fixed CI budget (100x under `npm run fuzz`) and a seed that is
 * printed on failure, so it replays with `TABSYNC_SEED=<seed>`.
 */
export function assertProperty<T>(property: fc.IProperty<T>, ciRuns: number): void {
  const env = process.env['TABSYNC_SEED']
  const seed = env ? Number(env) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0
  try {
    fc.assert(property, { numRuns: LONG ? ciRuns * 100 : ciRuns, seed, ...timeLimit() })
  } catch (e) {
    if (e instanceof Error) e.message += `\nReplay with TABSYNC_SEED=${seed}`
    throw e
  }
}
