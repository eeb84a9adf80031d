// Starting the Tabsync relay in its own process, with a fresh secret, and issuing tokens for it.
import { randomBytes } from 'node:crypto'
import { issueToken } from '@tabsync/relay'
import { startChild, type Child } from '../child/processes.js'
import type { BenchContext } from '../workload.js'

/** A running Tabsync relay child. */
export interface TabsyncRelayChild {
  readonly relay: Child & { ready: Record<string, unknown> }
  /** `ws://127.0.0.1:port/sync` */
  readonly url: string
  readonly secret: string
  readonly dir: string
}

/** Starts a Tabsync relay child on a fresh (or the given) data directory. */
export async function startTabsyncRelay(
  ctx: BenchContext,
  opts: {
    dir?: string
    secret?: string
    limits?: Record<string, number>
    exposeGc?: boolean
    /** The relay's `syncThrottleMs` (its default, 0, when absent). */
    syncThrottleMs?: number
    /** The relay's `writeBehindMs` (its default when absent). */
    writeBehindMs?: number
    /** Another relay's sources to run instead of this tree's (`src/index.ts` of a copy). */
    relayModule?: string
  } = {},
): Promise<TabsyncRelayChild> {
  const dir = opts.dir ?? (await ctx.tempDir('tabsync-relay'))
  const secret = opts.secret ?? randomBytes(32).toString('hex')
  const relay = await startChild('tabsync-relay', {
    env: {
      TABSYNC_BENCH_DIR: dir,
      TABSYNC_BENCH_SECRET: secret,
      ...(opts.limits ? { TABSYNC_BENCH_LIMITS: JSON.stringify(opts.limits) } : {}),
      ...(opts.exposeGc ? { NODE_OPTIONS: '--expose-gc' } : {}),
      ...(opts.syncThrottleMs === undefined
        ? {}
        : { TABSYNC_BENCH_RELAY_SYNC_THROTTLE_MS: String(opts.syncThrottleMs) }),
      ...(opts.writeBehindMs === undefined
        ? {}
        : { TABSYNC_BENCH_RELAY_WRITE_BEHIND_MS: String(opts.writeBehindMs) }),
      ...(opts.relayModule === undefined ? {} : { TABSYNC_BENCH_RELAY_MODULE: opts.relayModule }),
    },
  })
  return { relay, url: String(relay.ready['url']), secret, dir }
}

/** A terminal token for `deviceId` in `storeIds`, valid 12 h. */
export function terminalToken(
  secret: string,
  deviceId: string,
  storeIds: readonly string[],
): Promise<string> {
  return issueToken({ secret, deviceId, storeIds, role: 'terminal' })
}
