// Starting the Tabsync relay in its own process (filled in once @tabsync/relay lands).
import type { Child } from '../child/processes.js'
import type { BenchContext } from '../workload.js'

/** Starts a Tabsync relay child; rejects while the relay package is not available. */
export function startTabsyncRelay(_ctx: BenchContext): Promise<{ relay: Child; url: string; secret: string }> {
  return Promise.reject(new Error('@tabsync/relay is not available yet'))
}
