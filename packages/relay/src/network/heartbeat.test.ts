import { cbor } from '@automerge/automerge-repo'
import type WebSocket from 'ws'
import { expect, test, vi } from 'vitest'
import { Heartbeat, MISSED_HEARTBEATS_LIMIT, type HeartbeatTarget } from './heartbeat.js'

function target(protocol: string, peerId: string | undefined) {
  const sent: Record<string, unknown>[] = []
  const socket = { protocol, ping: vi.fn(), terminate: vi.fn() }
  const t: HeartbeatTarget = {
    socket: socket as unknown as WebSocket,
    alive: true,
    peerId,
    send: (bytes) => {
      sent.push(cbor.decode(bytes) as Record<string, unknown>)
      return true
    },
  }
  return { t, socket, sent }
}

test('a socket that stops answering pings is terminated after the missed-beat limit; one that answers is not', () => {
  const silent = target('tabsync.v1', 'till-1/a')
  const lively = target('tabsync.v1', 'till-2/a')
  const beat = new Heartbeat({
    intervalMs: 60_000,
    targets: () => [silent.t, lively.t],
    senderId: () => 'relay-1',
  })
  beat.stop() // driven by hand below
  for (let i = 0; i <= MISSED_HEARTBEATS_LIMIT; i++) {
    beat.beat()
    lively.t.alive = true // its pong arrived
  }
  expect(silent.socket.terminate).toHaveBeenCalledTimes(1)
  expect(lively.socket.terminate).not.toHaveBeenCalled()
  expect(lively.socket.ping).toHaveBeenCalledTimes(MISSED_HEARTBEATS_LIMIT + 1)
})

test('heartbeat frames go to joined tabsync.v1 clients only, addressed from the relay', () => {
  const v1 = target('tabsync.v1', 'till-1/a')
  const stock = target('', 'till-2/a')
  const unjoined = target('tabsync.v1', undefined)
  const beat = new Heartbeat({
    intervalMs: 60_000,
    targets: () => [v1.t, stock.t, unjoined.t],
    senderId: () => 'relay-1',
  })
  beat.stop()
  beat.beat()
  expect(v1.sent).toEqual([
    { type: 'tabsync-heartbeat', senderId: 'relay-1', targetId: 'till-1/a' },
  ])
  expect(stock.sent).toEqual([])
  expect(unjoined.sent).toEqual([])
  // Everyone is pinged, joined or not.
  for (const x of [v1, stock, unjoined]) expect(x.socket.ping).toHaveBeenCalledTimes(1)
})
