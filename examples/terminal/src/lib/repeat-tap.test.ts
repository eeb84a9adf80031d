import { expect, test } from 'vitest'
import { createRepeatTap } from './repeat-tap.js'

function harness() {
  let clock = 0
  const calls: string[] = []
  let next = 0
  const taps = createRepeatTap(1500, () => clock)
  const tap = (key: string) =>
    taps.tap(
      key,
      async () => {
        const id = `line-${++next}`
        calls.push(`add ${key} -> ${id}`)
        return id
      },
      async (id) => {
        calls.push(`raise ${id}`)
        return id
      },
    )
  return { tap, calls, advance: (ms: number) => (clock += ms) }
}

test('three quick taps on one item are one add and two raises of the same line, in order', async () => {
  const h = harness()
  // Not awaited in between: the second tap comes before the first line exists.
  const ids = await Promise.all([h.tap('espresso'), h.tap('espresso'), h.tap('espresso')])
  expect(ids).toEqual(['line-1', 'line-1', 'line-1'])
  expect(h.calls).toEqual(['add espresso -> line-1', 'raise line-1', 'raise line-1'])
})

test('a tap after the window, or on another item, adds a new line', async () => {
  const h = harness()
  await h.tap('espresso')
  h.advance(1000)
  await h.tap('espresso') // within the window: raise; the window slides
  h.advance(1400)
  await h.tap('espresso') // 1400 after the last tap: still the same line
  h.advance(1600)
  await h.tap('espresso')
  await h.tap('tea')
  expect(h.calls).toEqual([
    'add espresso -> line-1',
    'raise line-1',
    'raise line-1',
    'add espresso -> line-2',
    'add tea -> line-3',
  ])
})

test('when the first tap made no line (refused), the next tap adds instead of raising nothing', async () => {
  let clock = 0
  const calls: string[] = []
  const taps = createRepeatTap(1500, () => clock)
  await taps.tap(
    'x',
    async () => (calls.push('add'), undefined),
    async () => (calls.push('raise'), 'r'),
  )
  clock += 10
  await taps.tap(
    'x',
    async () => (calls.push('add'), 'l'),
    async () => (calls.push('raise'), 'r'),
  )
  expect(calls).toEqual(['add', 'add'])
})
