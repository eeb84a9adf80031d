import { expect, test } from 'vitest'
import { TokenBucket } from './rate-limit.js'

test('a bucket allows its burst, then its rate', () => {
  let now = 0
  const bucket = new TokenBucket(10, 5, () => now)
  for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true)
  expect(bucket.take()).toBe(false)
  now += 100 // 0.1 s at 10/s: one token
  expect(bucket.take()).toBe(true)
  expect(bucket.take()).toBe(false)
  now += 10_000 // refills to the burst, not beyond
  for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(true)
  expect(bucket.take()).toBe(false)
})
