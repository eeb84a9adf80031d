import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import { isTabsyncError } from '../errors.js'
import { fitChanges, localChangesBetween } from './change-set.js'

interface Doc {
  n: number[]
}

function base(): A.Doc<Doc> {
  return A.change(A.init<Doc>(), (d) => (d.n = []))
}

test('a change whose dependencies the document holds fits as new; applied twice it is known', () => {
  const a = base()
  const b = A.clone(a)
  const a2 = A.change(a, (d) => void d.n.push(1))
  const changes = localChangesBetween(a, a2)
  expect(changes).toHaveLength(1)
  const fit = fitChanges(b, changes)
  expect(fit.fit).toBe('new')
  const [b2] = A.applyChanges(b, changes)
  expect(b2.n).toEqual([1])
  expect(fitChanges(b2, changes).fit).toBe('known')
})

test('a change on top of one the receiver lacks is refused as missing-deps, not queued', () => {
  const a = base()
  const b = A.clone(a)
  const a2 = A.change(a, (d) => void d.n.push(1))
  const a3 = A.change(a2, (d) => void d.n.push(2))
  const second = localChangesBetween(a2, a3)
  const fit = fitChanges(b, second)
  expect(fit).toEqual({ fit: 'missing-deps', missing: [A.decodeChange(second[0]!).deps[0]] })
  // Both together fit: the set brings its own dependency.
  expect(fitChanges(b, localChangesBetween(a, a3)).fit).toBe('new')
})

test("a dependency waiting in the receiver's queue (held, not applied) still counts as missing", () => {
  const a = base()
  const b = A.clone(a)
  const a2 = A.change(a, (d) => void d.n.push(1))
  const a3 = A.change(a2, (d) => void d.n.push(2))
  const a4 = A.change(a3, (d) => void d.n.push(3))
  // b receives the third change without the second: Automerge queues it out of sight.
  const [queued] = A.applyChanges(b, localChangesBetween(a2, a3))
  expect(A.getMissingDeps(queued, [])).not.toEqual([])
  const fourth = localChangesBetween(a3, a4)
  expect(fitChanges(queued, fourth)).toEqual({
    fit: 'missing-deps',
    missing: [A.decodeChange(fourth[0]!).deps[0]],
  })
})

test('changes received from another replica are not local changes', () => {
  const a = base()
  const b = A.clone(a)
  const a2 = A.change(a, (d) => void d.n.push(1))
  const [b2] = A.applyChanges(b, localChangesBetween(a, a2))
  expect(localChangesBetween(b, b2)).toEqual([])
})

test('bytes that are not a change give a corrupt TabsyncError', () => {
  expect(() => fitChanges(base(), [new Uint8Array([1, 2, 3])])).toThrow(
    expect.objectContaining({ kind: 'corrupt' }),
  )
  try {
    fitChanges(base(), [new Uint8Array([1, 2, 3])])
  } catch (e) {
    expect(isTabsyncError(e, 'corrupt')).toBe(true)
  }
})

test("read: 'header' fits every set exactly as decoding does, and still refuses bytes that are not a change", () => {
  const a = base()
  const b = A.clone(a)
  const a2 = A.change(a, (d) => void d.n.push(1))
  const a3 = A.change(a2, (d) => void d.n.push(2))
  const [b2] = A.applyChanges(A.clone(b), localChangesBetween(a, a2))
  const [queued] = A.applyChanges(A.clone(b), localChangesBetween(a2, a3))
  const cases: [A.Doc<Doc>, Uint8Array[]][] = [
    [b, localChangesBetween(a, a2)], // new
    [b2, localChangesBetween(a, a2)], // known
    [b, localChangesBetween(a2, a3)], // missing dependency
    [b, localChangesBetween(a, a3)], // the set brings its own dependency
    [queued, localChangesBetween(a2, a3)], // a document with a queue
    [b2, localChangesBetween(a, a3)], // one known, one new
  ]
  for (const [doc, changes] of cases) {
    expect(fitChanges(doc, changes, { read: 'header' })).toEqual(fitChanges(doc, changes))
  }
  expect(() => fitChanges(base(), [new Uint8Array([1, 2, 3])], { read: 'header' })).toThrow(
    expect.objectContaining({ kind: 'corrupt' }),
  )
})
