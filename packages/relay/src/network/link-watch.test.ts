import { EventEmitter } from 'node:events'
import type WebSocket from 'ws'
import { afterEach, expect, test, vi } from 'vitest'
import { LinkWatch } from './link-watch.js'

afterEach(() => {
  vi.useRealTimers()
})

function fakeSocket() {
  const socket = Object.assign(new EventEmitter(), { ping: vi.fn() })
  return socket as unknown as WebSocket & { ping: ReturnType<typeof vi.fn> }
}

test('an attempt that never completes its handshake is dead after the connect deadline', async () => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  })
  const onDead = vi.fn()
  const watch = new LinkWatch({ connectTimeoutMs: 5_000, onDead })
  watch.connecting(fakeSocket())
  await vi.advanceTimersByTimeAsync(4_999)
  expect(onDead).not.toHaveBeenCalled()
  await vi.advanceTimersByTimeAsync(1)
  expect(onDead).toHaveBeenCalledWith('connect')
})

test('a link that keeps answering pings lives; one silent for the deadline dies once, within one ping interval of it', async () => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  })
  const onDead = vi.fn()
  const watch = new LinkWatch({ silenceTimeoutMs: 7_500, pingMs: 2_500, onDead })
  const socket = fakeSocket()
  watch.connecting(socket)
  watch.connected()
  for (let i = 0; i < 8; i++) {
    await vi.advanceTimersByTimeAsync(2_500)
    socket.emit('pong') // counted through the listener `connecting` attached
  }
  expect(onDead).not.toHaveBeenCalled()
  expect(socket.ping).toHaveBeenCalledTimes(8)
  await vi.advanceTimersByTimeAsync(7_499)
  expect(onDead).not.toHaveBeenCalled()
  await vi.advanceTimersByTimeAsync(2_500)
  expect(onDead).toHaveBeenCalledTimes(1)
  expect(onDead).toHaveBeenCalledWith('silence')
  await vi.advanceTimersByTimeAsync(30_000)
  expect(onDead).toHaveBeenCalledTimes(1)
})
