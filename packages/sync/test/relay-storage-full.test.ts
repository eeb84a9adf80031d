// A single relay on its own files (document writes held per document by its write-behind
// storage), the repo directory made unwritable under traffic with a small bound on what the
// relay keeps in memory (`TABSYNC_MAX_KEPT_BYTES`): the writes held for retry count against the
// bound, so the relay refuses the store's changes with the typed close code (4503 storage-full,
// retried by devices) and answers /readyz 503 instead of holding more and more, the devices keep
// saving locally, and once the directory is back every saved line reaches both devices and a
// brand-new one.
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { runCleanups, step, until } from './cluster-nodes.js'
import { metric, startOneNodeRush } from './one-node-rush.js'

/** A few dozen changes' worth. */
const MAX_KEPT_BYTES = 2048
const EPISODE_START = 'kept writes at their bound'
const EPISODE_END = 'kept writes stored: accepting writes again'

afterAll(runCleanups)

test('file storage failing under traffic with a small kept-writes bound: the store is refused with storage-full, the relay not ready, devices keep saving, every saved line converges after', async () => {
  const rush = await startOneNodeRush(undefined, {
    leaseMs: 0,
    env: { TABSYNC_MAX_KEPT_BYTES: String(MAX_KEPT_BYTES) },
  })
  const { devices, httpUrl, lines, metrics, node } = rush
  const ready = async () => (await fetch(`${httpUrl}/readyz`)).status
  const repoDir = () => join(node.dataDir, 'repo')

  await until(() => lines() > 10, 'devices writing')
  step('repo directory made unwritable')
  // A file where the directory was: every document write fails (ENOTDIR), even as root.
  await rename(repoDir(), `${repoDir()}.away`)
  await writeFile(repoDir(), 'not a directory')
  await rush.untilRefusedWhileFull()
  expect(await ready()).toBe(503)
  // The bound was reached by what is held (a compaction can shrink what is held since).
  const episode = node.stderr.split('\n').find((line) => line.includes(EPISODE_START))
  expect((JSON.parse(episode!) as { keptBytes: number }).keptBytes).toBeGreaterThanOrEqual(
    MAX_KEPT_BYTES,
  )

  step('repo directory back')
  await rm(repoDir())
  await rename(`${repoDir()}.away`, repoDir())
  await until(async () => {
    const text = await metrics()
    return (
      metric(text, 'tabsync_relay_storage_full') === 0 &&
      metric(text, 'tabsync_relay_storage_kept_bytes') === 0
    )
  }, 'held writes stored')
  await until(async () => (await ready()) === 200, 'relay ready again')
  await until(() => devices.every((d) => d.status().state === 'online'), 'devices back online')
  const after = lines()
  await until(() => lines() > after + 10, 'devices writing after storage is back')
  await rush.stop()

  expect(node.stderr.split(EPISODE_START).length - 1).toBeGreaterThanOrEqual(1)
  expect(node.stderr.split(EPISODE_END).length - 1).toBe(
    node.stderr.split(EPISODE_START).length - 1,
  )
  await rush.expectEveryLineEverywhere()
}, 240_000)
