import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import { addLine, newId, readOrder } from '../src/index.js'
import { device, newOrderDoc, replica } from './helpers.js'

test('entries are stored under their id without repeating it, and read back with it', () => {
  const till = device('till-1')
  const r = replica(newOrderDoc(till))
  const id = r.run((d) => addLine(d, till, { itemId: 'soup' }))
  expect(Object.keys(A.toJS(r.doc).lines[id] as object)).not.toContain('id')
  expect(readOrder(r.doc).lines[id]?.id).toBe(id)
})

test('ids are UUIDv7 in 22 base64url characters, unique and URL-safe', () => {
  const ids = Array.from({ length: 1000 }, newId)
  expect(new Set(ids).size).toBe(1000)
  for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
  const bytes = Uint8Array.from(atob(ids[0]!.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
    c.charCodeAt(0),
  )
  expect(bytes[6]! >> 4).toBe(7) // the UUID version nibble
})
