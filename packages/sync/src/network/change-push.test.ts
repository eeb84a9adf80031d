import { createHash } from 'node:crypto'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo/slim'
import { FrameType, type ChangeFrame } from '@tabsync/protocol'
import { expect, test } from 'vitest'
import { isSyncError } from '../errors.js'
import type { Logger } from '../log/logger.js'
import { ChangePush, type ChangeFrameResult, type ChangeLink } from './change-push.js'

/** A link the test drives: records what is sent, delivers what the "relay" forwards. */
function fakeLink() {
  const sent: { documentId: string; changes: readonly Uint8Array[] }[] = []
  let deliver: (frame: ChangeFrame) => void = () => {}
  const link: ChangeLink = {
    sendChanges: (documentId, changes) => (sent.push({ documentId, changes }), true),
    onChangeFrame: (cb) => ((deliver = cb), () => (deliver = () => {})),
  }
  return { link, sent, deliver: (f: ChangeFrame) => deliver(f) }
}

function setup() {
  const warnings: object[] = []
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (fields) => warnings.push(fields),
  }
  const repo = new Repo({ network: [] })
  const handle = repo.create<{ n: number[] }>({ n: [] })
  const { link, sent, deliver } = fakeLink()
  const push = new ChangePush(repo, [link], logger)
  const results: ChangeFrameResult[] = []
  push.onResult((_, r) => results.push(r))
  const frame = (changes: Uint8Array[]): ChangeFrame => ({
    type: FrameType.change,
    senderId: 'relay',
    targetId: 'me',
    documentId: handle.documentId,
    changes: changes as ChangeFrame['changes'],
  })
  return { repo, handle, push, sent, deliver, results, warnings, frame }
}

test('a local change is pushed in the same turn; a change received from a peer is not pushed back', () => {
  const { handle, push, sent, deliver, frame } = setup()
  handle.on('change', ({ patchInfo }) => push.changed(handle, patchInfo.before, patchInfo.after))
  handle.change((d) => void d.n.push(1))
  expect(sent).toHaveLength(1)
  expect(sent[0]!.documentId).toBe(handle.documentId)
  // Another replica's change arriving through the fast path.
  const other = A.change(A.clone(handle.doc(), { actor: 'abcdef02' }), (d) => void d.n.push(2))
  deliver(frame([A.getLastLocalChange(other)!]))
  expect(handle.doc().n).toEqual([1, 2])
  expect(sent).toHaveLength(1)
})

test('a forwarded change with missing dependencies is ignored (sync delivers it); one that fits is applied', () => {
  const { handle, deliver, results, frame } = setup()
  const base = A.clone(handle.doc(), { actor: 'abcdef03' })
  const one = A.change(base, (d) => void d.n.push(1))
  const two = A.change(one, (d) => void d.n.push(2))
  const heads = handle.heads()
  deliver(frame([A.getLastLocalChange(two)!]))
  expect(results).toEqual(['missing-deps'])
  expect(handle.heads()).toEqual(heads)
  deliver(frame(A.getChanges(base, two)))
  expect(results).toEqual(['missing-deps', 'applied'])
  expect(handle.doc().n).toEqual([1, 2])
})

test('an undecodable change is logged as a malformed SyncError and changes nothing', () => {
  const { handle, deliver, results, warnings, frame } = setup()
  const heads = handle.heads()
  deliver(frame([new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 9, 9])]))
  expect(results).toEqual(['corrupt'])
  expect(handle.heads()).toEqual(heads)
  expect(isSyncError((warnings[0] as { err?: unknown }).err, 'malformed')).toBe(true)
})

test('a change cut short behind a recomputed checksum is refused where it is applied: logged as malformed, nothing changed', () => {
  const { handle, deliver, results, warnings, frame } = setup()
  const other = A.change(A.clone(handle.doc(), { actor: 'abcdef04' }), (d) => void d.n.push(7))
  const change = A.getLastLocalChange(other)!
  expect(change[9]).toBeLessThan(0x80) // a one-byte chunk length, cut by one below
  const cut = change.slice(0, change.length - 1)
  cut[9] = change[9]! - 1
  cut.set(createHash('sha256').update(cut.subarray(8)).digest().subarray(0, 4), 4)
  const heads = handle.heads()
  deliver(frame([cut]))
  expect(results).toEqual(['corrupt'])
  expect(handle.heads()).toEqual(heads)
  expect(isSyncError((warnings[0] as { err?: unknown }).err, 'malformed')).toBe(true)
})

test('a command through ChangePush.change pushes its change once, before the handle emits it, and a throwing command changes nothing', () => {
  const { handle, push, sent } = setup()
  let sentWhenEmitted = -1
  handle.on('change', ({ patchInfo }) => {
    sentWhenEmitted = sent.length
    push.changed(handle, patchInfo.before, patchInfo.after)
  })
  push.change(handle, (d) => void d.n.push(1))
  expect(sent).toHaveLength(1)
  expect(sentWhenEmitted).toBe(1) // the frame was out when the handle told its listeners
  expect(A.decodeChange(sent[0]!.changes[0]!).hash).toBe(A.getHeads(handle.doc())[0])
  expect(handle.doc().n).toEqual([1])
  const heads = handle.heads()
  expect(() =>
    push.change(handle, (d) => {
      d.n.push(2)
      throw new Error('refused')
    }),
  ).toThrow('refused')
  expect(handle.heads()).toEqual(heads)
  expect(sent).toHaveLength(1)
})

test('a link that throws while a command is pushed loses nothing: the handle takes the change (logged), and the next command works', () => {
  const { repo, handle, warnings } = setup()
  const throwing: ChangeLink = {
    sendChanges: () => {
      throw new Error('socket gone')
    },
    onChangeFrame: () => () => {},
  }
  const push = new ChangePush(repo, [throwing], {
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (fields) => warnings.push(fields),
  })
  push.change(handle, (d) => void d.n.push(1))
  expect(handle.doc().n).toEqual([1])
  expect(warnings).toHaveLength(1)
  push.change(handle, (d) => void d.n.push(2)) // an outdated document would throw here
  handle.change((d) => void d.n.push(3))
  expect(handle.doc().n).toEqual([1, 2, 3])
})
