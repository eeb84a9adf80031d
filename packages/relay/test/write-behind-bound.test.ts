// One relay on its default file storage (writes held per document by WriteBehindStorage), its
// repo directory made unwritable under traffic with a small kept-writes bound: the writes held
// for retry count against the bound, so the relay stops acknowledging the store's changes
// (storage-full) and reports not ready instead of holding more and more in memory; once the
// directory is back, everything held is written and every line reaches a brand-new device.
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DocHandle } from '@automerge/automerge-repo'
import { afterEach, expect, test } from 'vitest'
import { findEventually, lineCount, openDevice, until, type TestDoc } from './helpers/devices.js'
import { runCleanups, spawnRelay, tempDir } from './helpers/relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

/** A few dozen lines' worth. */
const MAX_KEPT_BYTES = 4096

/** The value of one metric series in the relay's `/metrics` text (0 when absent). */
function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

test('file storage failing under traffic: held writes reach the kept bound, the store is refused and the relay not ready; after, every line is stored and reaches a new device', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(['--port', '0', '--data', data.path], {
    TABSYNC_MAX_KEPT_BYTES: String(MAX_KEPT_BYTES),
  })
  cleanups.push(() => relay.stop())
  const metrics = async () => (await fetch(`${relay.url}/metrics`)).text()
  const ready = async () => (await fetch(`${relay.url}/readyz`)).status

  const till = await openDevice(relay.syncUrl, 'till-1', 'store-a')
  cleanups.push(() => till.close())
  const handle: DocHandle<TestDoc> = till.repo.create<TestDoc>({
    kind: 'order',
    storeId: 'store-a',
    lines: {},
  })
  let written = 0
  let writing = true
  const rush = (async () => {
    while (writing) {
      const i = written++
      handle.change((d) => {
        d.lines[`line-${i}`] = { item: `item-${i}-${'x'.repeat(80)}`, by: 'till-1' }
      })
      await new Promise((resolve) => setTimeout(resolve, 30))
    }
  })()
  const watcher = await openDevice(relay.syncUrl, 'till-2', 'store-a')
  cleanups.push(() => watcher.close())
  const seen = await findEventually(watcher.repo, handle.url, 'order on the watcher')
  await until(() => lineCount(seen) > 10, 'lines reaching the watcher')

  // The repo directory becomes a file: every document write fails (ENOTDIR), even as root.
  const repoDir = join(data.path, 'repo')
  await rename(repoDir, `${repoDir}.away`)
  await writeFile(repoDir, 'not a directory')
  await until(
    async () => metric(await metrics(), 'tabsync_relay_storage_full') === 1,
    'held writes at the bound',
    200,
  )
  expect(metric(await metrics(), 'tabsync_relay_storage_kept_bytes')).toBeGreaterThanOrEqual(
    MAX_KEPT_BYTES,
  )
  expect(await ready()).toBe(503)
  await until(
    async () =>
      metric(await metrics(), 'tabsync_relay_storage_full_refusals_total{at="frame"}') +
        metric(await metrics(), 'tabsync_relay_storage_full_refusals_total{at="upgrade"}') >
      0,
    'a change of the store refused with storage-full',
    200,
  )

  await rm(repoDir)
  await rename(`${repoDir}.away`, repoDir)
  await until(
    async () => {
      const text = await metrics()
      return (
        metric(text, 'tabsync_relay_storage_full') === 0 &&
        metric(text, 'tabsync_relay_storage_kept_bytes') === 0
      )
    },
    'held writes stored',
    200,
  )
  await until(async () => (await ready()) === 200, 'relay ready again', 200)
  writing = false
  await rush
  await until(() => lineCount(seen) === written, 'the watcher has every line', 200)

  // A brand-new device reads every line from the relay once it has stored them.
  const fresh = await openDevice(relay.syncUrl, 'till-3', 'store-a')
  cleanups.push(() => fresh.close())
  const onFresh = await findEventually(fresh.repo, handle.url, 'order on a new device')
  await until(() => lineCount(onFresh) === written, 'the new device has every line', 200)
  expect(relay.stderr()).toContain('kept writes at their bound')
  expect(relay.stderr()).toContain('kept writes stored: accepting writes again')
}, 120_000)
