import { afterEach, expect, test, vi } from 'vitest'
import { SilenceDeadline } from './liveness.js'

afterEach(() => {
  vi.useRealTimers()
})

test('a connection that hears something keeps living; silence for the timeout kills it once', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const dead = vi.fn()
  const deadline = new SilenceDeadline(1_000, dead)
  deadline.start()
  for (let i = 0; i < 10; i++) {
    await vi.advanceTimersByTimeAsync(600)
    deadline.heard()
  }
  expect(dead).not.toHaveBeenCalled()
  expect(deadline.running).toBe(true)
  await vi.advanceTimersByTimeAsync(999)
  expect(dead).not.toHaveBeenCalled()
  await vi.advanceTimersByTimeAsync(1)
  expect(dead).toHaveBeenCalledTimes(1)
  expect(deadline.running).toBe(false)
  await vi.advanceTimersByTimeAsync(10_000)
  expect(dead).toHaveBeenCalledTimes(1)
})

test('a stopped deadline never fires, and a zero timeout is refused', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const dead = vi.fn()
  const deadline = new SilenceDeadline(500, dead)
  deadline.start()
  deadline.stop()
  await vi.advanceTimersByTimeAsync(5_000)
  expect(dead).not.toHaveBeenCalled()
  expect(() => new SilenceDeadline(0, dead)).toThrow(RangeError)
})
