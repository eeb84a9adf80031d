import fc from 'fast-check'
import { expect, test } from 'vitest'
import { assertProperty } from '../../test/fuzz-budget.js'
import { isTabsyncError } from '../errors.js'
import { allocate, evenly, formatMoney, includedTax, percentOf } from './money.js'

test('allocate always adds up to the total and stays proportional within one unit', () => {
  assertProperty(
    fc.property(
      fc.integer({ min: 0, max: 10_000_000 }),
      fc.array(fc.nat({ max: 100_000 }), { minLength: 1, maxLength: 20 }),
      (total, weights) => {
        const parts = allocate(total, weights)
        expect(parts.reduce((a, b) => a + b, 0)).toBe(total)
        expect(parts.every(Number.isSafeInteger)).toBe(true)
        const sum = weights.reduce((a, b) => a + b, 0)
        if (sum > 0)
          weights.forEach((w, i) => expect(Math.abs(parts[i]! - (total * w) / sum)).toBeLessThan(1))
      },
    ),
    300,
  )
})

test('evenly splits into parts that differ by at most one unit, larger first', () => {
  expect(evenly(100, 3)).toEqual([34, 33, 33])
  expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33])
  expect(allocate(10, [0, 0])).toEqual([5, 5])
})

test('percentages round half away from zero', () => {
  expect(percentOf(1250, 1000)).toBe(125)
  expect(percentOf(5, 1000)).toBe(1) // 0.5 -> 1
  expect(percentOf(4, 1000)).toBe(0) // 0.4 -> 0
  expect(percentOf(-5, 1000)).toBe(-1)
})

test('tax contained in an inclusive price', () => {
  expect(includedTax(1100, 1000)).toBe(100)
  expect(includedTax(1200, 2000)).toBe(200)
  expect(includedTax(999, 2000)).toBe(166) // 999 - round(832.5)
})

test("formats minor units in the currency's own decimals", () => {
  expect(formatMoney(1250, 'EUR', 'en')).toBe('€12.50')
  expect(formatMoney(1250, 'JPY', 'en')).toBe('¥1,250')
})

test('allocate gives an exact remainder tie to the earliest part, as documented (issue 10 item 7)', () => {
  // 220 x [45, 7, 84, 20] / 156: remainders 72, 136, 72, 32 of 156; the two 72s tie exactly,
  // floating point made the third look larger and gave it the cent.
  expect(allocate(220, [45, 7, 84, 20])).toEqual([64, 10, 118, 28])
  expect(allocate(2, [1, 1, 1])).toEqual([1, 1, 0])
  expect(allocate(-220, [45, 7, 84, 20])).toEqual([-64, -10, -118, -28])
})

test('allocate matches an exact rational reference on ties and large amounts', () => {
  assertProperty(
    fc.property(
      fc.integer({ min: 0, max: 100_000_000 }),
      fc.array(fc.nat({ max: 100_000_000 }), { minLength: 1, maxLength: 8 }),
      (total, weights) => {
        const sum = weights.reduce((a, b) => a + BigInt(b), 0n)
        if (sum === 0n) return
        const t = BigInt(total)
        const floors = weights.map((w) => (t * BigInt(w)) / sum)
        const rems = weights.map((w) => (t * BigInt(w)) % sum)
        const left = Number(t - floors.reduce((a, b) => a + b, 0n))
        const winners = rems
          .map((r, i) => ({ r, i }))
          .sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1))
          .slice(0, left)
          .map((x) => x.i)
        const expected = floors.map((f, i) => Number(f) + (winners.includes(i) ? 1 : 0))
        expect(allocate(total, weights)).toEqual(expected)
      },
    ),
    300,
  )
})

test('allocate refuses fractional or negative weights with a typed error', () => {
  for (const weights of [[0.5, 1], [-1, 2], [Number.NaN]]) {
    let error: unknown
    try {
      allocate(10, weights)
    } catch (e) {
      error = e
    }
    expect(isTabsyncError(error, 'invalid-input')).toBe(true)
  }
})
