import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  keepSyncStatesInWasm,
  wasmSyncStatesCounts,
  WasmSyncStatesMode,
} from './wasm-sync-states.js'

type Doc = {
  lines: Record<string, string>
}

/** Syncs `a` and `b` through Automerge's sync protocol until neither has anything to send. */
function syncPair(
  a: A.Doc<Doc>,
  b: A.Doc<Doc>,
  states: { a: A.SyncState; b: A.SyncState },
): [A.Doc<Doc>, A.Doc<Doc>] {
  for (let round = 0; round < 20; round++) {
    const [sa, toB] = A.generateSyncMessage(a, states.a)
    states.a = sa
    if (toB) [b, states.b] = A.receiveSyncMessage(b, states.b, toB)
    const [sb, toA] = A.generateSyncMessage(b, states.b)
    states.b = sb
    if (toA) [a, states.a] = A.receiveSyncMessage(a, states.a, toA)
    if (!toA && !toB) return [a, b]
  }
  throw new Error('sync did not settle in 20 rounds')
}

test('the hook installs on this Automerge and says so again when called twice', () => {
  expect(keepSyncStatesInWasm()).toBe(WasmSyncStatesMode.installed)
  expect(keepSyncStatesInWasm()).toBe(WasmSyncStatesMode.installed)
})

test('two replicas converge through kept states, each import a copy, no field ever filled', () => {
  keepSyncStatesInWasm()
  let a = A.from<Doc>({ lines: {} })
  let b = A.init<Doc>()
  const states = { a: A.initSyncState(), b: A.initSyncState() }
  const before = wasmSyncStatesCounts()
  for (let i = 0; i < 30; i++) {
    a = A.change(a, (d) => {
      d.lines[`a${i}`] = 'from a'
    })
    if (i % 3 === 0 && i > 0)
      b = A.change(b, (d) => {
        d.lines[`b${i}`] = 'from b'
      })
    ;[a, b] = syncPair(a, b, states)
  }
  const after = wasmSyncStatesCounts()
  expect(A.getHeads(a).sort()).toEqual(A.getHeads(b).sort())
  expect(Object.keys(b.lines)).toHaveLength(30 + 9)
  // Every import on this path came from a kept copy, and nothing read a field.
  expect(after.reused - before.reused).toBeGreaterThan(60)
  expect(after.filled).toBe(before.filled)
})

test('reading a field gives the stock contents; the state then imports the stock way and still syncs', () => {
  keepSyncStatesInWasm()
  let a = A.from<Doc>({ lines: { x: '1' } })
  let b = A.init<Doc>()
  const states = { a: A.initSyncState(), b: A.initSyncState() }
  ;[a, b] = syncPair(a, b, states)
  const filled = wasmSyncStatesCounts().filled
  // The fields are what automerge-repo and the relay read: heads as hex, the flags.
  expect(states.a.sharedHeads).toEqual(A.getHeads(a))
  expect(states.b.theirHeads).toEqual(A.getHeads(a))
  expect(wasmSyncStatesCounts().filled).toBe(filled + 2)
  expect({ ...states.a }).toMatchObject({ inFlight: false, readOnly: false })
  a = A.change(a, (d) => {
    d.lines['y'] = '2'
  })
  const [, bAfter] = syncPair(a, b, states)
  expect(bAfter.lines).toEqual({ x: '1', y: '2' })
})

test('a kept state survives encode and decode (automerge-repo round-trips states on reconnect)', () => {
  keepSyncStatesInWasm()
  let a = A.from<Doc>({ lines: { x: '1' } })
  let b = A.init<Doc>()
  const states = { a: A.initSyncState(), b: A.initSyncState() }
  ;[a, b] = syncPair(a, b, states)
  // encodeSyncState frees what it imported: the kept copy must stay usable afterwards.
  const encoded = A.encodeSyncState(states.a)
  states.a = A.decodeSyncState(encoded)
  expect(A.encodeSyncState(states.a)).toEqual(encoded)
  a = A.change(a, (d) => {
    d.lines['z'] = '3'
  })
  const [, bAfter] = syncPair(a, b, states)
  expect(bAfter.lines).toEqual({ x: '1', z: '3' })
})

test('an old state handed back still gives its own contents (each export is a snapshot)', () => {
  keepSyncStatesInWasm()
  let a = A.from<Doc>({ lines: {} })
  const first = A.initSyncState()
  const [second, message] = A.generateSyncMessage(a, first)
  expect(message).not.toBeNull()
  a = A.change(a, (d) => {
    d.lines['late'] = '1'
  })
  // The first state never saw the message: generating from it again sends the same thing.
  const [, again] = A.generateSyncMessage(A.clone(a), first)
  expect(again).not.toBeNull()
  expect(A.decodeSyncMessage(again!).heads).toEqual(A.getHeads(a))
  expect(second.lastSentHeads).not.toEqual(first.lastSentHeads)
})
