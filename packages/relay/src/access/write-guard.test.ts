import * as A from '@automerge/automerge'
import type { DeviceRole } from '@tabsync/core'
import { expect, test } from 'vitest'
import type { Principal } from './principal.js'
import { WriteGuard } from './write-guard.js'

type Doc = Record<string, unknown>

const order = (): A.Doc<Doc> =>
  A.from<Doc>({ kind: 'order', storeId: 's', lines: { l1: { n: 1 } }, bumps: {}, prints: {} })

function who(role: DeviceRole, deviceId = 'dev-1'): Principal {
  return { peerId: deviceId, deviceId, storeIds: ['s'], upstream: false, role }
}

/** The sync message a device holding `theirs` sends to a relay holding `ours`. */
function syncMessage(ours: A.Doc<Doc> | undefined, theirs: A.Doc<Doc>): Uint8Array {
  // One round trip: the relay says what it has, the device answers with what it lacks.
  const [, hello] = A.generateSyncMessage(ours ?? A.init<Doc>(), A.initSyncState())
  let deviceState = A.initSyncState()
  if (hello) [, deviceState] = A.receiveSyncMessage(A.clone(theirs), deviceState, hello)
  const [, answer] = A.generateSyncMessage(theirs, deviceState)
  if (!answer) throw new Error('nothing to send')
  return answer
}

function guardOver(doc: A.Doc<Doc> | undefined): WriteGuard {
  return new WriteGuard({ currentDoc: () => Promise.resolve(doc) })
}

test('a kitchen display may add a bump but not a line, whatever else the message carries', async () => {
  const base = order()
  const bump = A.change(A.clone(base), (d) => {
    ;(d['bumps'] as Doc)['b1'] = { ticketId: 't1', at: { wall: 1 } }
  })
  const line = A.change(A.clone(base), (d) => {
    ;(d['lines'] as Doc)['l2'] = { n: 2 }
  })
  const guard = guardOver(base)
  expect(await guard.check(who('kitchen'), {}, 'd', syncMessage(base, bump))).toEqual({
    allowed: true,
  })
  expect(await guard.check(who('kitchen'), {}, 'd', syncMessage(base, line))).toMatchObject({
    allowed: false,
    reason: 'forbidden-path',
    paths: ['lines/l2'],
  })
})

test('changing a field inside an existing entry counts as writing that entry', async () => {
  const base = order()
  const edit = A.change(A.clone(base), (d) => {
    ;((d['lines'] as Doc)['l1'] as Doc)['n'] = 5
  })
  const verdict = await guardOver(base).check(who('printer'), {}, 'd', syncMessage(base, edit))
  expect(verdict).toMatchObject({ allowed: false, paths: ['lines/l1'] })
})

test('a whole new document sent as one document chunk is judged by its kind', async () => {
  const fresh = order()
  const guard = guardOver(undefined)
  // A relay that has nothing gets the document as a single compressed chunk.
  const message = syncMessage(undefined, fresh)
  // The printer first: once a terminal's frame is allowed, the guard holds those changes.
  expect(await guard.check(who('printer'), {}, 'd', message)).toMatchObject({
    allowed: false,
    reason: 'forbidden-path',
  })
  expect(await guard.check(who('terminal'), {}, 'd', message)).toEqual({ allowed: true })
  const store = A.from<Doc>({ kind: 'store', storeId: 's', items: {} })
  expect(await guard.check(who('terminal'), {}, 's', syncMessage(undefined, store))).toMatchObject({
    allowed: false,
    kind: 'store',
  })
  expect(await guard.check(who('backoffice'), {}, 's', syncMessage(undefined, store))).toEqual({
    allowed: true,
  })
})

test('a refused frame leaves nothing behind: sent again, it is refused again', async () => {
  const base = order()
  const line = A.change(A.clone(base), (d) => {
    ;(d['lines'] as Doc)['l2'] = { n: 2 }
  })
  const guard = guardOver(base)
  const message = syncMessage(base, line)
  for (let i = 0; i < 2; i++)
    expect(await guard.check(who('kitchen'), {}, 'd', message)).toMatchObject({
      allowed: false,
      paths: ['lines/l2'],
    })
  expect(await guard.check(who('terminal'), {}, 'd', message)).toEqual({ allowed: true })
})

test('changes the relay got from elsewhere since the last frame are known, not judged again', async () => {
  let relay = order()
  const guard = new WriteGuard({ currentDoc: () => Promise.resolve(relay) })
  const first = A.change(A.clone(relay), (d) => {
    ;(d['bumps'] as Doc)['b1'] = { ticketId: 't1' }
  })
  expect(await guard.check(who('kitchen'), {}, 'd', syncMessage(relay, first))).toEqual({
    allowed: true,
  })
  // A terminal's line reaches the relay's copy without this guard seeing it (the upstream).
  const fromTerminal = A.change(A.clone(relay), (d) => {
    ;(d['lines'] as Doc)['l9'] = { n: 9 }
  })
  relay = A.merge(A.merge(A.clone(relay), first), fromTerminal)
  // The kitchen device got that line and bumps again: its frame carries both changes.
  const kitchen = A.change(A.clone(relay), (d) => {
    ;(d['bumps'] as Doc)['b2'] = { ticketId: 't2' }
  })
  expect(await guard.check(who('kitchen'), {}, 'd', syncMessage(order(), kitchen))).toEqual({
    allowed: true,
  })
})

test('a terminal may write only its own entry of the store devices map', async () => {
  const store = A.from<Doc>({ kind: 'store', storeId: 's', devices: {} })
  const self = A.change(A.clone(store), (d) => {
    ;(d['devices'] as Doc)['till-1'] = { name: 'Till' }
  })
  const other = A.change(A.clone(store), (d) => {
    ;(d['devices'] as Doc)['till-2'] = { name: 'Not me' }
  })
  const guard = guardOver(store)
  const till = who('terminal', 'till-1')
  expect(await guard.check(till, {}, 'd', syncMessage(store, self))).toEqual({ allowed: true })
  expect(await guard.check(till, {}, 'd', syncMessage(store, other))).toMatchObject({
    allowed: false,
    paths: ['devices/till-2'],
  })
})

test('changes the relay already holds are not judged: devices forward what others wrote', async () => {
  const withLine = A.change(order(), (d) => {
    ;(d['lines'] as Doc)['l2'] = { n: 2 }
  })
  const message = syncMessage(undefined, withLine)
  // The relay already has every change of the message (it had forwarded them to the printer).
  expect(await guardOver(withLine).check(who('printer'), {}, 'd', message)).toEqual({
    allowed: true,
  })
})

test('a change into an object the relay cannot place (its creation not sent) is refused', async () => {
  const base = order()
  const step1 = A.change(A.clone(base), (d) => {
    ;(d['bumps'] as Doc)['b1'] = { ticketId: 't1', at: {} }
  })
  // Looks like a bump detail, but without step1 the relay cannot tell where `at` lives.
  const step2 = A.change(A.clone(step1), (d) => {
    ;(((d['bumps'] as Doc)['b1'] as Doc)['at'] as Doc)['wall'] = 9
  })
  // Only the second change, whose dependency (step1) the relay does not have.
  const [last] = A.getChanges(step1, step2)
  const message = A.encodeSyncMessage({
    heads: A.getHeads(step2),
    need: [],
    have: [],
    changes: [last!],
  })
  const verdict = await guardOver(base).check(who('kitchen'), {}, 'd', message)
  expect(verdict).toMatchObject({ allowed: false, reason: 'unknown-object' })
  // Sent in order, on the same connection, both pass: the first one's objects are remembered.
  const guard = guardOver(base)
  const conn = {}
  const [first] = A.getChanges(base, step1)
  const one = A.encodeSyncMessage({
    heads: A.getHeads(step1),
    need: [],
    have: [],
    changes: [first!],
  })
  expect(await guard.check(who('kitchen'), conn, 'd', one)).toEqual({ allowed: true })
  expect(await guard.check(who('kitchen'), conn, 'd', message)).toEqual({ allowed: true })
})

test('the hub, the back office and the upstream relay are not inspected', async () => {
  const base = order()
  const line = A.change(A.clone(base), (d) => {
    ;(d['lines'] as Doc)['l2'] = { n: 2 }
  })
  const message = syncMessage(base, line)
  const guard = guardOver(base)
  expect(await guard.check(who('hub'), {}, 'd', message)).toEqual({ allowed: true })
  expect(await guard.check(who('backoffice'), {}, 'd', message)).toEqual({ allowed: true })
  const upstream: Principal = {
    peerId: 'u',
    deviceId: 'upstream:u',
    storeIds: ['s'],
    upstream: true,
  }
  expect(await guard.check(upstream, {}, 'd', message)).toEqual({ allowed: true })
})

test('one change chunk holding two changes back to back (as a stock client sends) is judged, not an error', async () => {
  const base = order()
  const bump = A.change(A.clone(base), (d) => {
    ;(d['bumps'] as Doc)['b1'] = { ticketId: 't1', at: { wall: 1 } }
  })
  const line = A.change(A.clone(bump), (d) => {
    ;(d['lines'] as Doc)['l2'] = { n: 2 }
  })
  const packed = (changes: Uint8Array[]) => {
    const out = new Uint8Array(changes.reduce((n, c) => n + c.length, 0))
    let at = 0
    for (const c of changes) out.set(c, (at += c.length) - c.length)
    return out
  }
  const bumpTwice = A.change(A.clone(bump), (d) => {
    ;(d['bumps'] as Doc)['b2'] = { ticketId: 't2', at: { wall: 2 } }
  })
  const allowed = packed(A.getChanges(base, bumpTwice))
  expect(() => A.decodeChange(allowed)).toThrow() // what used to reach the guard undecoded
  expect(await guardOver(base).check(who('kitchen'), {}, 'd', [allowed])).toEqual({
    allowed: true,
  })
  expect(
    await guardOver(base).check(who('kitchen'), {}, 'd', [packed(A.getChanges(base, line))]),
  ).toMatchObject({ allowed: false, reason: 'forbidden-path', paths: ['lines/l2'] })
})

test('in an order a terminal (rights: all) is allowed what a kitchen display is refused', async () => {
  const base = order()
  const step1 = A.change(A.clone(base), (d) => {
    ;(d['bumps'] as Doc)['b1'] = { ticketId: 't1', at: {} }
  })
  const step2 = A.change(A.clone(step1), (d) => {
    ;(((d['bumps'] as Doc)['b1'] as Doc)['at'] as Doc)['wall'] = 9
    ;(d['lines'] as Doc)['l2'] = { n: 2 }
  })
  // The second change alone writes a line and into an object the relay cannot place: a kitchen
  // display is refused; a terminal may write anything in an order, so its changes are not placed.
  const [last] = A.getChanges(step1, step2)
  const message = A.encodeSyncMessage({
    heads: A.getHeads(step2),
    need: [],
    have: [],
    changes: [last!],
  })
  const guard = guardOver(base)
  expect(await guard.check(who('kitchen'), {}, 'd', message)).toMatchObject({ allowed: false })
  expect(await guard.check(who('terminal'), {}, 'd', message)).toEqual({ allowed: true })
  // The kitchen display's next frame is judged on a replica that caught up with the relay's copy.
  const bumped = A.change(A.clone(base), (d) => {
    ;(d['bumps'] as Doc)['b9'] = { ticketId: 't9', at: {} }
  })
  expect(await guard.check(who('kitchen'), {}, 'd', syncMessage(base, bumped))).toEqual({
    allowed: true,
  })
})
