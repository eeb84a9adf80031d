import * as A from '@automerge/automerge'
import { encodeBundle } from '@tabsync/core/internal'
import { afterEach, expect, test, vi } from 'vitest'
import { starterDocuments } from './seed-storage.js'

const saved = (name: string) => A.save(A.from({ name }))

afterEach(() => {
  vi.restoreAllMocks()
})

test('the asked-for documents of the bundle are its seed, bytes as they came, in its order; others are not', () => {
  const store = saved('store')
  const table = saved('table')
  const bundle = encodeBundle([
    { documentId: 'store1', bytes: store },
    { documentId: 'other1', bytes: saved('not asked for') },
    { documentId: 'table1', bytes: table },
  ])
  const docs = starterDocuments(bundle, ['table1', 'store1'])
  expect(docs.map((d) => d.documentId)).toEqual(['store1', 'table1'])
  expect(A.load<{ name: string }>(docs[1]!.bytes).name).toBe('table')
  expect(docs[0]!.bytes).toEqual(store)
})

test('a bundle that is not one seeds nothing and says so in a warning', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  const truncated = encodeBundle([{ documentId: 'store1', bytes: saved('store') }]).subarray(0, 20)
  expect(starterDocuments(truncated, ['store1'])).toEqual([])
  expect(starterDocuments(new TextEncoder().encode('<html>'), ['store1'])).toEqual([])
  expect(warn).toHaveBeenCalledTimes(2)
  expect(String(warn.mock.calls[0]?.[0])).toMatch(/starter bundle that is not one/)
})

test('a document that is not Automerge data is left out with a warning; the rest is seeded', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  const bundle = encodeBundle([
    { documentId: 'store1', bytes: saved('store') },
    { documentId: 'table1', bytes: new TextEncoder().encode('not automerge') },
  ])
  expect(starterDocuments(bundle, ['store1', 'table1']).map((d) => d.documentId)).toEqual([
    'store1',
  ])
  expect(String(warn.mock.calls[0]?.[0])).toMatch(/table1 is not Automerge data/)
})
