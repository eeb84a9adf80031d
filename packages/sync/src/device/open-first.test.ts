import { formatHlc, newId, type HintedRef } from '@tabsync/core'
import { expect, test } from 'vitest'
import { NEWEST_FIRST, openFirst } from './open-first.js'

function hinted(minute: number, hint: HintedRef['hint']): HintedRef {
  const orderId = newId()
  return {
    ref: {
      orderId,
      url: `automerge:${orderId}`,
      businessDate: '2026-12-02',
      openedAt: formatHlc({ ms: Date.UTC(2026, 11, 2, 12, minute), counter: 0, node: 'till-1' }),
      openedBy: 'till-1',
    },
    hint,
  }
}

test('checks hinted open come first, then unhinted ones newest first, closed ones last; none left out', () => {
  const closedNew = hinted(50, 'closed')
  const openOld = hinted(1, 'open')
  const unknownOld = hinted(2, undefined)
  const unknownNew = hinted(40, undefined)
  const { refs, first } = openFirst([closedNew, unknownOld, openOld, unknownNew])
  expect(refs.map((r) => r.orderId)).toEqual(
    [openOld, unknownNew, unknownOld, closedNew].map((h) => h.ref.orderId),
  )
  expect(first).toBe(3)
})

test('a day with no hints at all opens its newest orders first, as before the hints', () => {
  const day = Array.from({ length: NEWEST_FIRST + 20 }, (_, i) => hinted(i, undefined))
  const { refs, first } = openFirst(day)
  expect(first).toBe(NEWEST_FIRST)
  expect(refs[0]?.orderId).toBe(day.at(-1)?.ref.orderId)
  expect(new Set(refs.map((r) => r.orderId)).size).toBe(day.length)
})
