// kill -9 of the relay in the middle of a sync, restart on the same data directory: no line the
// device had flushed and synced is lost.
import type { DocHandle } from '@automerge/automerge-repo'
import { afterEach, expect, test } from 'vitest'
import {
  findEventually,
  lineCount,
  openDevice,
  until,
  type TestDevice,
  type TestDoc,
} from './helpers/devices.js'
import { spawnRelay, tempDir, type RelayProcess, runCleanups } from './helpers/relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

test('kill -9 mid-sync, restart on the same data dir: every flushed and synced line survives', async () => {
  const data = await tempDir()
  const deviceStore = await tempDir()
  cleanups.push(data.remove, deviceStore.remove)
  let relay: RelayProcess = await spawnRelay(['--port', '0', '--data', data.path])
  cleanups.push(() => relay.stop())
  const port = String(relay.port)

  const till = await openDevice(relay.syncUrl, 'till-1', 'store-a', deviceStore.path)
  const watcher = await openDevice(relay.syncUrl, 'till-2', 'store-a')
  cleanups.push(
    () => till.close(),
    () => watcher.close(),
  )
  const handle: DocHandle<TestDoc> = till.repo.create<TestDoc>({
    kind: 'order',
    storeId: 'store-a',
    lines: {},
  })
  const seen = await findEventually(watcher.repo, handle.url, 'order on the watcher')

  const write = async (i: number): Promise<void> => {
    handle.change((d) => {
      d.lines[`line-${i}`] = { item: `item-${i}`, by: 'till-1' }
    })
    await till.repo.flush([handle.documentId]) // "saved" on the device
  }

  // Phase 1: lines flushed on the device and synced through the relay (the watcher has them).
  for (let i = 0; i < 20; i++) await write(i)
  await until(() => lineCount(seen) === 20, 'watcher sees 20 lines')

  // Phase 2: keep writing while the relay dies with SIGKILL (no graceful flush).
  for (let i = 20; i < 30; i++) await write(i)
  await relay.stop('SIGKILL')
  for (let i = 30; i < 40; i++) await write(i) // offline writes

  relay = await spawnRelay(['--port', port, '--data', data.path])
  // The device reconnects on its own (client adapter retry) and re-syncs.
  await until(() => lineCount(seen) === 40, 'watcher sees all 40 lines after the restart', 50)

  // A fresh device with empty storage reads everything from the restarted relay.
  const fresh: TestDevice = await openDevice(relay.syncUrl, 'till-3', 'store-a')
  cleanups.push(() => fresh.close())
  const onFresh = await findEventually(fresh.repo, handle.url, 'order on a fresh device')
  await until(() => lineCount(onFresh) === 40, 'fresh device sees 40 lines')
  expect(Object.keys(onFresh.doc().lines).sort()).toEqual(
    Array.from({ length: 40 }, (_, i) => `line-${i}`).sort(),
  )

  // Stop the device, then the relay gracefully; on a third start, the relay alone has it all.
  await till.close()
  await watcher.close()
  await fresh.close()
  expect(await relay.stop('SIGTERM')).toBe(0)
  relay = await spawnRelay(['--port', '0', '--data', data.path])
  const last = await openDevice(relay.syncUrl, 'till-4', 'store-a')
  cleanups.push(() => last.close())
  const onLast = await findEventually(last.repo, handle.url, 'order after graceful restart')
  await until(() => lineCount(onLast) === 40, 'relay storage alone holds 40 lines')
}, 90_000)
