import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  shortcutUnchangedDocs,
  unchangedDocsAnswered,
  UnchangedDocShortcutMode,
} from './unchanged-doc-shortcut.js'

type Order = { lines: Record<string, { item: string; qty: A.Counter }>; note?: string }

/** Runs the sync protocol between `a` and `b` until neither has anything to send. */
function syncPair(a: A.Doc<Order>, b: A.Doc<Order>, s: { a: A.SyncState; b: A.SyncState }) {
  for (let round = 0; round < 20; round++) {
    const [sa, toB] = A.generateSyncMessage(a, s.a)
    s.a = sa
    if (toB) [b, s.b] = A.receiveSyncMessage(b, s.b, toB)
    const [sb, toA] = A.generateSyncMessage(b, s.b)
    s.b = sb
    if (toA) [a, s.a] = A.receiveSyncMessage(a, s.a, toA)
    if (!toA && !toB) return [a, b] as const
  }
  throw new Error('sync did not settle')
}

test('the shortcut installs on this Automerge and says so again when called twice', () => {
  expect(shortcutUnchangedDocs()).toBe(UnchangedDocShortcutMode.installed)
  expect(shortcutUnchangedDocs()).toBe(UnchangedDocShortcutMode.installed)
})

test('acknowledgements are answered in JavaScript; both replicas converge with every change, both ways', () => {
  shortcutUnchangedDocs()
  let a = A.from<Order>({ lines: {} })
  let b = A.init<Order>()
  const states = { a: A.initSyncState(), b: A.initSyncState() }
  const before = unchangedDocsAnswered()
  for (let i = 0; i < 20; i++) {
    a = A.change(a, (d) => {
      d.lines[`a${i}`] = { item: `dish ${i}`, qty: new A.Counter(1) }
    })
    if (i % 4 === 0 && i > 0)
      b = A.change(b, (d) => {
        d.note = `from b ${i}`
        const line = d.lines[`a${i - 4}`]
        if (line) line.qty.increment(1)
      })
    ;[a, b] = syncPair(a, b, states)
    expect(A.getHeads(a).sort()).toEqual(A.getHeads(b).sort())
  }
  expect(unchangedDocsAnswered() - before).toBeGreaterThan(10)
  expect(A.toJS(a)).toEqual(A.toJS(b))
  expect(Object.keys(a.lines)).toHaveLength(20)
  expect(a.lines['a8']!.qty.value).toBe(2)
  // The documents stay writable after roots built in JavaScript, and older roots are outdated.
  const older = a
  a = A.change(a, (d) => {
    d.note = 'after'
  })
  expect(a.note).toBe('after')
  expect(() =>
    A.change(older, (d) => {
      d.note = 'stale'
    }),
  ).toThrow(/outdated/)
})

test('a root built in JavaScript is the one WebAssembly builds: same properties, metadata, frozen state', () => {
  shortcutUnchangedDocs()
  for (const freeze of [false, true]) {
    let a = A.from<Order>({ lines: { x: { item: 'soup', qty: new A.Counter(1) } } }, { freeze })
    let b = A.clone(a)
    const states = { a: A.initSyncState(), b: A.initSyncState() }
    ;[a, b] = syncPair(a, b, states)
    const before = unchangedDocsAnswered()
    const previous = a
    // A change on b and its sync: a's last receive is b's acknowledgement of nothing new.
    b = A.change(b, (d) => {
      d.note = 'n'
    })
    ;[a, b] = syncPair(a, b, states)
    a = A.change(a, (d) => {
      d.note = 'm'
    })
    ;[a, b] = syncPair(a, b, states)
    expect(unchangedDocsAnswered()).toBeGreaterThan(before)
    expect(a).not.toBe(previous)
    expect(Object.isFrozen(a)).toBe(freeze)
    expect(Object.keys(a)).toEqual(Object.keys(A.clone(a)))
    expect(A.getObjectId(a)).toBe('_root')
    expect(a.note).toBe('m')
    expect(a.lines['x']!.qty.value).toBe(1)
    expect(A.toJS(a)).toEqual(A.toJS(b))
    expect(A.save(a)).toEqual(A.save(A.load(A.save(a))))
  }
})
