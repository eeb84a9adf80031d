import { expect, test } from 'vitest'
import { createLimiter } from './limiter.js'

test('never runs more than max tasks at once, runs them all, in arrival order', async () => {
  const limiter = createLimiter(3)
  let peak = 0
  const started: number[] = []
  const gates: (() => void)[] = []
  const results = Array.from({ length: 10 }, (_, i) =>
    limiter.run(async () => {
      started.push(i)
      peak = Math.max(peak, limiter.active)
      await new Promise<void>((resolve) => gates.push(resolve))
      return i * 2
    }),
  )
  while (started.length < 10) {
    await new Promise((r) => setTimeout(r, 0))
    gates.shift()?.()
  }
  while (gates.length) gates.shift()?.()
  expect(await Promise.all(results)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
  expect(peak).toBe(3)
  expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  expect(limiter.active).toBe(0)
})

test('a failing task frees its place', async () => {
  const limiter = createLimiter(1)
  await expect(limiter.run(() => Promise.reject(new Error('nope')))).rejects.toThrow('nope')
  expect(await limiter.run(() => Promise.resolve('next'))).toBe('next')
})
