import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { decodeBundle, encodeBundle } from '../src/internal.js'
import { isTabsyncError, readOrder } from '../src/index.js'
import { assertProperty } from './fuzz-budget.js'
import { device, newOrderDoc } from './helpers.js'

const documentId = fc.stringMatching(/^[1-9A-HJ-NP-Za-km-z]{20,40}$/)
const bundled = fc.array(fc.record({ documentId, bytes: fc.uint8Array({ maxLength: 300 }) }), {
  maxLength: 12,
})

test('a bundle decodes to the documents it was made of, in order', () => {
  assertProperty(
    fc.property(bundled, (docs) => {
      const back = decodeBundle(encodeBundle(docs))
      expect(back.map((d) => d.documentId)).toEqual(docs.map((d) => d.documentId))
      back.forEach((d, i) => expect([...d.bytes]).toEqual([...docs[i]!.bytes]))
    }),
    200,
  )
})

test('every truncation, and a wrong header, is a corrupt bundle rather than fewer documents', () => {
  assertProperty(
    fc.property(
      bundled.filter((d) => d.length > 0),
      fc.nat(),
      (docs, cut) => {
        const bytes = encodeBundle(docs)
        const short = bytes.subarray(0, cut % bytes.length)
        expect(() => decodeBundle(short)).toThrow(/bad bundle/)
      },
    ),
    200,
  )
  const wrong = encodeBundle([])
  wrong[0] = 0x00
  expect(() => decodeBundle(wrong)).toThrow(/no TSB1 header/)
})

test('a saved order travels in a bundle and loads back whole', () => {
  const doc = newOrderDoc(device('till-1'))
  const [back] = decodeBundle(encodeBundle([{ documentId: 'abc123', bytes: A.save(doc) }]))
  expect(readOrder(A.load(back!.bytes))).toEqual(readOrder(doc))
})

test('an id that is not a document id is refused when encoding', () => {
  try {
    encodeBundle([{ documentId: '../etc/passwd', bytes: new Uint8Array() }])
    expect.unreachable()
  } catch (e) {
    expect(isTabsyncError(e, 'invalid-input')).toBe(true)
  }
})
