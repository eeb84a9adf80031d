// `startRelay({ messageShortcuts: false })` (an application embedding the relay beside its own
// Automerge work) installs none of the per-message shortcuts: Automerge's API object stays stock
// in the process, and every change still reaches every device. Its own file: the shortcuts, once
// installed by another test, stay for the whole worker.
import { idleBeginSyncsSkipped, steadySyncDelivered } from '@tabsync/protocol'
import { afterEach, expect, test } from 'vitest'
import { edgeDecodesTaken } from '../src/repo/edge-decode-handoff.js'
import { unchangedDocsAnswered } from '../src/repo/unchanged-doc-shortcut.js'
import { wasmSyncStatesCounts } from '../src/repo/wasm-sync-states.js'
import { findEventually, lineCount, openDevice, until, type TestDoc } from './helpers/devices.js'
import { runCleanups } from './helpers/relay-process.js'
import { startTestRelay } from './helpers/test-relay.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

test('with messageShortcuts false, no shortcut acts and every change still reaches every device', async () => {
  const relay = await startTestRelay(cleanups, {
    allowQueryToken: true,
    messageShortcuts: false,
  })
  const devices = await Promise.all(
    ['till-1', 'till-2'].map((id) => openDevice(relay.syncUrl, id, 'store-a')),
  )
  for (const d of devices) cleanups.push(() => d.close())
  const [writer, reader] = devices as [(typeof devices)[0], (typeof devices)[0]]
  const handle = writer.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  const copy = await findEventually(reader.repo, handle.url, 'the order on the reader')
  for (let i = 1; i <= 5; i++) {
    handle.change((d) => {
      d.lines[`l${i}`] = { item: `dish-${i}`, by: writer.deviceId }
    })
    await until(() => lineCount(copy) === i, `line ${i} on the reader`)
  }
  expect(edgeDecodesTaken()).toBe(0)
  expect(wasmSyncStatesCounts().reused).toBe(0)
  expect(idleBeginSyncsSkipped()).toBe(0)
  expect(unchangedDocsAnswered()).toBe(0)
  expect(steadySyncDelivered()).toBe(0)
}, 60_000)
