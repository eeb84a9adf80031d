// Table-day documents (issue 15) have ids every device computes from (store, table, date): the
// relay's first-claim rule must bind them to their store like any store-bound id, and terminals
// must be allowed to write them (they file every check there), printers and kitchens not.
import { interpretAsDocumentId, type BinaryDocumentId } from '@automerge/automerge-repo'
import { tableDayIdBytes } from '@tabsync/core/internal'
import { expect, test } from 'vitest'
import { rightsIn } from '../src/access/role-rights.js'
import { idAdmits } from '../src/access/store-bound-ids.js'

test('a table-day id is admitted for its own store and refused to any other', async () => {
  const id = interpretAsDocumentId(
    (await tableDayIdBytes('store-a', 't4', '2026-12-03')) as BinaryDocumentId,
  )
  expect(await idAdmits(id, ['store-a'])).toBe(true)
  expect(await idAdmits(id, ['store-b'])).toBe(false)
  // A principal of several stores is admitted through the one it belongs to.
  expect(await idAdmits(id, ['store-b', 'store-a'])).toBe(true)
})

test('terminals may write table-days; printers and kitchen displays may not', () => {
  expect(rightsIn('terminal', 'table-day')).toBe('all')
  expect(rightsIn('printer', 'table-day')).toBeUndefined()
  expect(rightsIn('kitchen', 'table-day')).toBeUndefined()
})
