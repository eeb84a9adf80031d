import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import { readChangeHeader } from './change-header.js'
import { sha256 } from './sha256.js'

interface Doc {
  n: number[]
  text?: string
}

test('the header gives the hash and dependencies A.decodeChange gives, for small, large and merge changes', () => {
  let a = A.change(A.init<Doc>(), (d) => (d.n = []))
  let b = A.clone(a)
  const seen: Uint8Array[] = []
  for (let i = 0; i < 20; i++) {
    a = A.change(a, (d) => void d.n.push(i))
    b = A.change(b, (d) => void d.n.push(-i))
    if (i % 5 === 0) a = A.merge(a, b) // the next change of `a` has two dependencies
    if (i === 7) a = A.change(a, (d) => (d.text = 'long '.repeat(2000))) // kilobytes of ops
    seen.push(A.getLastLocalChange(a)!)
  }
  expect(seen.some((c) => A.decodeChange(c).deps.length > 1)).toBe(true)
  for (const bytes of seen) {
    const { hash, deps } = A.decodeChange(bytes)
    expect(readChangeHeader(bytes)).toEqual({ hash, deps })
  }
})

test('bytes the header cannot vouch for are left to A.decodeChange', () => {
  const doc = A.change(A.init<Doc>(), (d) => (d.n = [1]))
  const change = A.getLastLocalChange(doc)!
  const flipped = change.slice()
  flipped[flipped.length - 1]! ^= 1 // the checksum no longer matches
  expect(readChangeHeader(flipped)).toBeUndefined()
  expect(readChangeHeader(change.subarray(0, change.length - 1))).toBeUndefined() // truncated
  expect(readChangeHeader(new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 9, 9]))).toBeUndefined()
  const twoChunks = new Uint8Array([...change, ...change])
  expect(readChangeHeader(twoChunks)).toBeUndefined()
  expect(readChangeHeader(A.save(doc))).toBeUndefined() // a document chunk
})

test('a change cut short behind a recomputed checksum passes the header and fails to decode', () => {
  const damaged = damagedChange()
  expect(readChangeHeader(damaged)).toBeDefined()
  expect(() => A.decodeChange(damaged)).toThrow()
})

/** A one-byte shorter change with its length and checksum fixed: only decoding it fails. */
function damagedChange(): Uint8Array {
  const doc = A.change(A.init<Doc>(), (d) => (d.n = [1, 2, 3]))
  const change = A.getLastLocalChange(doc)!
  if (change[9]! >= 0x80) throw new Error('expected a one-byte chunk length')
  const cut = change.slice(0, change.length - 1)
  cut[9] = change[9]! - 1
  cut.set(sha256(cut.subarray(8)).subarray(0, 4), 4)
  return cut
}
