// The relay's per-message shortcuts (src/repo/wasm-sync-states.ts, edge-decode-handoff.ts,
// unchanged-doc-shortcut.ts, @tabsync/protocol's begin-sync-shortcut.ts and
// steady-sync-delivery.ts) take effect on the relay's own repo: a change still reaches every
// other device of the store, while the repo reused kept sync states, took the edge's decode of
// the devices' messages, skipped its empty sync starts, built unchanged roots in JavaScript and
// handed steady messages straight to their document.
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

test('with the shortcuts on, every change reaches every device; the repo reuses kept states and the edge decode, skips empty sync starts, builds unchanged roots in JavaScript and skips the share round of steady messages', async () => {
  const relay = await startTestRelay(cleanups, {
    allowQueryToken: true,
  })
  const devices = await Promise.all(
    ['till-1', 'till-2', 'till-3'].map((id) => openDevice(relay.syncUrl, id, 'store-a')),
  )
  for (const d of devices) cleanups.push(() => d.close())
  const [writer, ...readers] = devices as [(typeof devices)[0], ...typeof devices]
  const handle = writer.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  const copies = await Promise.all(
    readers.map((r) => findEventually(r.repo, handle.url, 'the order on a reader')),
  )
  const decodesBefore = edgeDecodesTaken()
  const statesBefore = wasmSyncStatesCounts()
  const skippedBefore = idleBeginSyncsSkipped()
  const unchangedBefore = unchangedDocsAnswered()
  const steadyBefore = steadySyncDelivered()
  for (let i = 1; i <= 10; i++) {
    // Every device writes in turn: each change fans out from the relay to the two others.
    const by = devices[i % devices.length]!
    const own = by === writer ? handle : copies[devices.indexOf(by) - 1]!
    own.change((d) => {
      d.lines[`l${i}`] = { item: `dish-${i}`, by: by.deviceId }
    })
    await until(
      () => [handle, ...copies].every((h) => lineCount(h) === i),
      `line ${i} on every device`,
    )
  }
  const relayDoc = await relay.repo.find<TestDoc>(handle.url)
  expect(Object.keys(relayDoc.doc().lines)).toHaveLength(10)
  // The repo's decode of each inbound sync message was the edge's (one per frame at least).
  expect(edgeDecodesTaken() - decodesBefore).toBeGreaterThanOrEqual(10)
  // Sync states went back into Automerge from kept copies (the devices, in this process, too).
  const states = wasmSyncStatesCounts()
  expect(states.reused - statesBefore.reused).toBeGreaterThanOrEqual(20)
  // Devices here are stock Repos: only the relay's repo opted in. A message of a device already
  // syncing the order goes straight to its synchronizer (no share round, no sync start at all);
  // one on the stock path has its empty sync start answered at once.
  const direct = steadySyncDelivered() - steadyBefore
  expect(direct).toBeGreaterThanOrEqual(10)
  expect(direct + idleBeginSyncsSkipped() - skippedBefore).toBeGreaterThanOrEqual(20)
  // Acknowledgements (two per change here) left the document as it was: roots built in JS.
  expect(unchangedDocsAnswered() - unchangedBefore).toBeGreaterThanOrEqual(10)
}, 60_000)
