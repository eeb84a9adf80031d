// PostgreSQL stopped under traffic with a small bound on the writes a relay node keeps in memory
// (`TABSYNC_MAX_KEPT_BYTES`): once the bound is reached the node refuses the store's changes with
// the typed close code (4503 storage-full, retried by devices) instead of acknowledging what it
// could not keep, says so once, the devices keep saving locally, and once PostgreSQL is back
// every saved line reaches both devices and a brand-new one.
import { afterAll, expect, test } from 'vitest'
import { startTestPostgres } from '../../relay/test/helpers/postgres.js'
import { cleanups, runCleanups, step, until } from './cluster-nodes.js'
import { metric, startOneNodeRush } from './one-node-rush.js'

/** Long enough that the bound, not the lease running out, is what stops the writes. */
const LEASE_MS = 20_000
/** A few dozen changes' worth. */
const MAX_KEPT_BYTES = 2048
const EPISODE_START = 'kept writes at their bound'
const EPISODE_END = 'kept writes stored: accepting writes again'

afterAll(runCleanups)

test('PostgreSQL stopped with a small kept-writes bound: the store is refused with storage-full (logged once), devices keep saving, every saved line converges after', async () => {
  const pg = await startTestPostgres()
  cleanups.push(() => pg.destroy())
  const rush = await startOneNodeRush(pg.url, {
    leaseMs: LEASE_MS,
    env: { TABSYNC_MAX_KEPT_BYTES: String(MAX_KEPT_BYTES) },
  })
  const { devices, lines, metrics, node } = rush

  await until(() => lines() > 10, 'devices writing')
  step('stopping PostgreSQL')
  await pg.stop()
  await rush.untilRefusedWhileFull()
  const full = await metrics()
  // What the node holds went past the bound by at most the writes admitted before it was reached.
  expect(metric(full, 'tabsync_relay_storage_kept_bytes')).toBeGreaterThanOrEqual(MAX_KEPT_BYTES)

  step('starting PostgreSQL')
  await pg.start()
  await until(
    async () => metric(await metrics(), 'tabsync_relay_storage_full') === 0,
    'kept writes stored',
  )
  await until(() => devices.every((d) => d.status().state === 'online'), 'devices back online')
  const after = lines()
  await until(() => lines() > after + 10, 'devices writing after the restart')
  await rush.stop()

  // One line at each end of an episode, however many devices and reconnects were refused. (A
  // write failing on a connection PostgreSQL's restart broke can open a second short episode:
  // one snapshot is larger than this tiny bound.)
  await until(async () => {
    const text = await metrics()
    return (
      metric(text, 'tabsync_relay_storage_full') === 0 &&
      metric(text, 'tabsync_relay_storage_kept_bytes') === 0
    )
  }, 'nothing kept any more')
  const refusals = await metrics()
  const refused =
    metric(refusals, 'tabsync_relay_storage_full_refusals_total{at="frame"}') +
    metric(refusals, 'tabsync_relay_storage_full_refusals_total{at="upgrade"}')
  const starts = node!.stderr.split(EPISODE_START).length - 1
  expect(starts).toBeGreaterThanOrEqual(1)
  expect(node!.stderr.split(EPISODE_END).length - 1).toBe(starts)
  expect(refused).toBeGreaterThan(starts)

  await rush.expectEveryLineEverywhere()
}, 240_000)
