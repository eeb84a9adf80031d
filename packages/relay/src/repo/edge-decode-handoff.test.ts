import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  edgeDecodesTaken,
  EdgeDecodeHandoffMode,
  handOffDecoded,
  installEdgeDecodeHandoff,
} from './edge-decode-handoff.js'

function syncMessage(): Uint8Array {
  const doc = A.from({ lines: { a: 'one' } })
  const [, message] = A.generateSyncMessage(doc, A.initSyncState())
  return message!
}

test('the hand-over installs on this Automerge and says so again when called twice', () => {
  expect(installEdgeDecodeHandoff()).toBe(EdgeDecodeHandoffMode.installed)
  expect(installEdgeDecodeHandoff()).toBe(EdgeDecodeHandoffMode.installed)
})

test('the next decode of the same bytes takes the edge decode, once; other bytes decode as before', () => {
  installEdgeDecodeHandoff()
  const bytes = syncMessage()
  const atEdge = A.decodeSyncMessage(bytes)
  handOffDecoded(bytes, atEdge)
  const taken = edgeDecodesTaken()
  expect(A.decodeSyncMessage(bytes)).toBe(atEdge) // the repo's decode: no second decode
  expect(edgeDecodesTaken()).toBe(taken + 1)
  // Once: a later decode of the same array decodes again, to equal contents.
  const again = A.decodeSyncMessage(bytes)
  expect(again).not.toBe(atEdge)
  expect(again).toEqual(atEdge)
  // An equal copy of the bytes is another array: decoded, not handed over.
  const other = syncMessage()
  handOffDecoded(other, atEdge)
  expect(A.decodeSyncMessage(other.slice())).not.toBe(atEdge)
  expect(edgeDecodesTaken()).toBe(taken + 1)
})

test('garbage still throws the stock error', () => {
  installEdgeDecodeHandoff()
  expect(() => A.decodeSyncMessage(new Uint8Array([1, 2, 3]))).toThrow()
})
