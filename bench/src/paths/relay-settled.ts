// Waiting until a Tabsync relay has finished the work an earlier device left it, before the
// next figure starts: a cold device that opened a 2,000-order day sent one sync message per
// order, and the relay goes on loading those documents and answering for minutes after that
// device closed (its answers then go nowhere). A figure taken meanwhile measures that backlog,
// not what it names.
import { now, sleep } from '../workload.js'

/** What {@link whenRelaySettled} saw. */
export interface RelaySettled {
  /** ms from the call until the relay was settled (or the cap). */
  readonly waitedMs: number
  /** Slowest answer of the relay's `/metrics` meanwhile, ms: how busy its event loop was. */
  readonly slowestAnswerMs: number
  /** False when the cap was reached first. */
  readonly settled: boolean
}

/** Answers this quick, in a row, with the relay's frame counters unchanged: settled. */
const QUICK_MS = 250
const IN_A_ROW = 3
const EVERY_MS = 500

/** The relay's frames in and out so far, from its `/metrics` (`ws://host/sync` → `http://host`). */
async function frames(syncUrl: string): Promise<string> {
  const url = new URL('/metrics', syncUrl.replace(/^ws/, 'http'))
  const text = await (await fetch(url)).text()
  return [...text.matchAll(/^tabsync_relay_messages_total\{direction="(?:in|out)"\} (\S+)$/gm)]
    .map((m) => m[1])
    .join('/')
}

/**
 * Resolves once the relay at `syncUrl` answers `/metrics` quickly several times in a row with
 * its frame counters unchanged (its event loop free, no traffic), or after `capMs`.
 */
export async function whenRelaySettled(syncUrl: string, capMs = 600_000): Promise<RelaySettled> {
  const t0 = now()
  let slowest = 0
  let quick = 0
  let last = ''
  while (now() - t0 < capMs) {
    const s = now()
    // A request the busy relay drops (a kept-alive socket it closed as this one reused it) is an
    // answer that was not quick.
    const seen = await frames(syncUrl).catch((err: unknown) => {
      console.warn(`relay-settled: /metrics failed (${String((err as Error).cause ?? err)})`)
      return undefined
    })
    const took = seen === undefined ? Infinity : now() - s
    if (took !== Infinity) slowest = Math.max(slowest, took)
    quick = took < QUICK_MS && seen === last ? quick + 1 : 0
    last = seen ?? ''
    if (quick >= IN_A_ROW) return { waitedMs: now() - t0, slowestAnswerMs: slowest, settled: true }
    await sleep(EVERY_MS)
  }
  return { waitedMs: now() - t0, slowestAnswerMs: slowest, settled: false }
}
