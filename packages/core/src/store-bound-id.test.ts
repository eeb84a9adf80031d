import { expect, test } from 'vitest'
import { isIdOfStore, isStoreBoundId, storeBoundIdBytes } from './store-bound-id.js'

test('a store-bound id verifies for its store only', async () => {
  const id = await storeBoundIdBytes('store-a')
  expect(id).toHaveLength(16)
  expect(isStoreBoundId(id)).toBe(true)
  expect(await isIdOfStore(id, 'store-a')).toBe(true)
  expect(await isIdOfStore(id, 'store-b')).toBe(false)
})

test('the same nonce gives the same id; another store or nonce gives another', async () => {
  const nonce = new Uint8Array([1, 2, 3, 4, 5, 6])
  const a = await storeBoundIdBytes('store-a', nonce)
  expect(await storeBoundIdBytes('store-a', nonce)).toEqual(a)
  expect(await storeBoundIdBytes('store-b', nonce)).not.toEqual(a)
  expect(await storeBoundIdBytes('store-a', new Uint8Array([1, 2, 3, 4, 5, 7]))).not.toEqual(a)
})

test('an id without the tag (automerge-repo random ids) is not store-bound', async () => {
  const random = new Uint8Array(16).fill(7)
  expect(isStoreBoundId(random)).toBe(false)
  expect(await isIdOfStore(random, 'store-a')).toBe(false)
})
