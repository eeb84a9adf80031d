import { interpretAsDocumentId, type BinaryDocumentId } from '@automerge/automerge-repo'
import { storeBoundIdBytes } from '@tabsync/core/internal'
import { afterEach, expect, test, vi } from 'vitest'
import { IdAdmission, idAdmits } from './store-bound-ids.js'

afterEach(() => vi.restoreAllMocks())

test('a store-bound id admits its store only, and the kept answer is the computed one', async () => {
  const id = interpretAsDocumentId((await storeBoundIdBytes('store-a')) as BinaryDocumentId)
  const admission = new IdAdmission()
  for (let i = 0; i < 2; i++) {
    expect(await admission.admits(id, ['store-a'])).toBe(true)
    expect(await admission.admits(id, ['store-b'])).toBe(false)
  }
  expect(await idAdmits(id, ['store-b', 'store-a'])).toBe(true)
})

test('the SHA-256 behind an answer runs once per id and stores, not once per frame', async () => {
  const id = interpretAsDocumentId((await storeBoundIdBytes('store-a')) as BinaryDocumentId)
  const digest = vi.spyOn(globalThis.crypto.subtle, 'digest')
  const admission = new IdAdmission()
  for (let i = 0; i < 5; i++) expect(await admission.admits(id, ['store-a'])).toBe(true)
  expect(digest).toHaveBeenCalledTimes(1)
})
