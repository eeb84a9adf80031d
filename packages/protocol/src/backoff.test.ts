import { expect, test } from 'vitest'
import { backoffDelay, backoffSchedule } from './backoff.js'

test('delays double from initialMs and stop at maxMs', () => {
  const top = () => 1 - Number.EPSILON
  expect(backoffSchedule(5, { initialMs: 100, maxMs: 1000, jitter: 0 }, top)).toEqual([
    100, 200, 400, 800, 1000,
  ])
  // A huge attempt count stays at the cap instead of overflowing.
  expect(backoffDelay(10_000, { initialMs: 100, maxMs: 1000, jitter: 0 })).toBe(1000)
})

test('jitter draws each delay from [ceiling * (1 - jitter), ceiling]', () => {
  expect(backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => 0)).toBe(200)
  expect(backoffDelay(2, { initialMs: 100, jitter: 0.5 }, () => 0.999999)).toBe(400)
  // Out-of-range jitter is clamped, not trusted.
  expect(backoffDelay(0, { initialMs: 100, jitter: 7 }, () => 0)).toBe(0)
  expect(backoffDelay(0, { initialMs: 100, jitter: -1 }, () => 0)).toBe(100)
})
