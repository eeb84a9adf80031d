import { expect, test } from 'vitest'
import { parseMoney, toInput } from './money-input.js'

test('typed amounts become minor units, anything else is refused', () => {
  expect(parseMoney('12')).toBe(1200)
  expect(parseMoney('12.5')).toBe(1250)
  expect(parseMoney('12,05')).toBe(1205)
  expect(parseMoney(' 0.99 ')).toBe(99)
  expect(parseMoney('')).toBeUndefined()
  expect(parseMoney('-3')).toBeUndefined()
  expect(parseMoney('1.234')).toBeUndefined()
  expect(parseMoney('abc')).toBeUndefined()
})

test('minor units round-trip through the input form', () => {
  for (const minor of [0, 5, 99, 100, 1250, 123456]) expect(parseMoney(toInput(minor))).toBe(minor)
  expect(toInput(5)).toBe('0.05')
})
