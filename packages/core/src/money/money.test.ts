import fc from 'fast-check'
import { expect, test } from 'vitest'
import { assertProperty } from '../../test/fuzz-budget.js'
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
