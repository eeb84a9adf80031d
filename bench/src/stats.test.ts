import { expect, test } from 'vitest'
import { distribution, median, percentile, ratio, roundSig, spread } from './stats.js'

test('percentiles interpolate between closest ranks', () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  expect(percentile(xs, 0)).toBe(1)
  expect(percentile(xs, 100)).toBe(10)
  expect(percentile(xs, 50)).toBe(5.5)
  expect(percentile(xs, 90)).toBeCloseTo(9.1, 10)
  expect(percentile([4, 1, 3, 2], 50)).toBe(2.5)
  expect(percentile([7], 99)).toBe(7)
})

test('p99 of 1..100 sits just under the top and ignores input order', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i)
  expect(percentile(xs, 99)).toBeCloseTo(99.01, 10)
  expect(distribution(xs)).toEqual({ p50: 50.5, p99: percentile(xs, 99), max: 100, n: 100 })
})

test('median, spread and ratio', () => {
  expect(median([3, 1, 2])).toBe(2)
  expect(spread([5, 1, 9, 3])).toEqual({ min: 1, median: 4, max: 9, runs: 4 })
  expect(ratio(10, 4)).toBe(2.5)
  expect(ratio(1, 3)).toBe(0.333)
  expect(ratio(1, 0)).toBeNull()
  expect(ratio(1, undefined)).toBeNull()
  expect(roundSig(123456, 3)).toBe(123000)
})

test('empty samples and bad percentiles throw', () => {
  expect(() => percentile([], 50)).toThrow(RangeError)
  expect(() => percentile([1], 101)).toThrow(RangeError)
  expect(() => spread([])).toThrow(RangeError)
})
