import * as A from '@automerge/automerge'
import { cbor, generateAutomergeUrl, parseAutomergeUrl } from '@automerge/automerge-repo'
import { expect, test } from 'vitest'
import { clientFrameSchema } from '@tabsync/protocol'
import { outboundCarriesContent, parseFrame } from './parse-frame.js'

const DOC = parseAutomergeUrl(generateAutomergeUrl()).documentId

test('frames are decoded, validated, and their sync data checked', () => {
  const join = cbor.encode({
    type: 'join',
    senderId: 'till-1',
    peerMetadata: {},
    supportedProtocolVersions: ['1'],
  })
  expect(parseFrame(join, clientFrameSchema)).toMatchObject({ ok: true, carriesChanges: false })

  const empty = A.generateSyncMessage(A.init(), A.initSyncState())[1]!
  const request = cbor.encode({
    type: 'request',
    senderId: 'a',
    targetId: 'r',
    documentId: DOC,
    data: empty,
  })
  expect(parseFrame(request, clientFrameSchema)).toMatchObject({ ok: true, carriesChanges: false })

  const doc = A.from({ storeId: 's' })
  // Second round of a sync: the reply to a peer that has nothing carries the changes.
  const [s1] = A.generateSyncMessage(doc, A.initSyncState())
  const theirs = A.generateSyncMessage(A.init(), A.initSyncState())[1]!
  const [, s2] = A.receiveSyncMessage(doc, s1, theirs)
  const withChanges = A.generateSyncMessage(doc, s2)[1]!
  const sync = cbor.encode({
    type: 'sync',
    senderId: 'a',
    targetId: 'r',
    documentId: DOC,
    data: withChanges,
  })
  expect(parseFrame(sync, clientFrameSchema)).toMatchObject({ ok: true, carriesChanges: true })

  // Regression: an empty document answering a peer that has nothing sends one entry in
  // `changes` (Automerge 3); it brings no content and must not claim a document.
  const [, answering] = A.receiveSyncMessage(A.init(), A.initSyncState(), empty)
  const emptyReply = A.generateSyncMessage(A.init(), answering)[1]!
  expect(A.decodeSyncMessage(emptyReply)).toMatchObject({ heads: [], changes: [expect.anything()] })
  const frame = cbor.encode({
    type: 'sync',
    senderId: 'a',
    targetId: 'r',
    documentId: DOC,
    data: emptyReply,
  })
  expect(parseFrame(frame, clientFrameSchema)).toMatchObject({ ok: true, carriesChanges: false })
  expect(outboundCarriesContent({ type: 'sync', data: emptyReply })).toBe(false)
  expect(outboundCarriesContent({ type: 'sync', data: withChanges })).toBe(true)
  const asRequest = cbor.encode({
    type: 'request',
    senderId: 'a',
    targetId: 'r',
    documentId: DOC,
    data: withChanges,
  })
  expect(parseFrame(asRequest, clientFrameSchema)).toMatchObject({
    ok: true,
    carriesChanges: false,
  })

  expect(parseFrame(new Uint8Array([0xff, 0x00]), clientFrameSchema)).toEqual({
    ok: false,
    reason: 'not-cbor',
  })
  expect(parseFrame(cbor.encode({ type: 'sync', senderId: 'a' }), clientFrameSchema)).toEqual({
    ok: false,
    reason: 'bad-shape',
  })
  expect(
    parseFrame(
      cbor.encode({ type: 'sync', senderId: 'a', targetId: 'r', documentId: 'nope', data: empty }),
      clientFrameSchema,
    ),
  ).toEqual({ ok: false, reason: 'bad-shape' })
  expect(
    parseFrame(
      cbor.encode({
        type: 'sync',
        senderId: 'a',
        targetId: 'r',
        documentId: DOC,
        data: new Uint8Array([9, 9, 9]),
      }),
      clientFrameSchema,
    ),
  ).toEqual({ ok: false, reason: 'bad-sync-data' })
})
