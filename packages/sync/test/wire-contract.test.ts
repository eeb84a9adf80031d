// The token transport and heartbeat names are a wire contract between a device (this package)
// and @tabsync/relay; neither imports the other's source, so this test keeps them equal.
import * as relay from '@tabsync/relay'
import { expect, test } from 'vitest'
import {
  HEARTBEAT_FRAME_TYPE,
  SYNC_SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  redactSecrets,
  tokenSubprotocols,
} from '../src/index.js'

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aWxsLTEifQ.c2lnbmF0dXJlLXBhcnQ'

test('device and relay name the subprotocols and the heartbeat frame alike', () => {
  expect(SYNC_SUBPROTOCOL).toBe(relay.SYNC_SUBPROTOCOL)
  expect(TOKEN_SUBPROTOCOL_PREFIX).toBe(relay.TOKEN_SUBPROTOCOL_PREFIX)
  expect(HEARTBEAT_FRAME_TYPE).toBe(relay.HEARTBEAT_FRAME_TYPE)
  expect(tokenSubprotocols(JWT)).toEqual(relay.tokenSubprotocols(JWT))
})

test('the relay reads the token a device offers, and answers with the wire version only', () => {
  const offered = tokenSubprotocols(JWT)
  const req = { headers: { 'sec-websocket-protocol': offered.join(', ') }, url: '/sync' }
  expect(relay.tokenFromRequest(req, { allowQueryToken: false })).toEqual({
    token: JWT,
    via: 'subprotocol',
  })
  expect(relay.selectSubprotocol(new Set(offered))).toBe(SYNC_SUBPROTOCOL)
})

test('device and relay redact the same secrets the same way', () => {
  const samples = [
    `ws://hub.local:8787/sync?token=${JWT}&x=1`,
    `Authorization: Bearer ${JWT}`,
    `Sec-WebSocket-Protocol: tabsync.v1, tabsync.token.${JWT}`,
    `{"msg":"failed","err":"${JWT}"}`,
    'nothing secret here: till-1 opened t3',
  ]
  for (const s of samples) {
    expect(redactSecrets(s)).toBe(relay.redactSecrets(s))
    expect(redactSecrets(s)).not.toContain('c2lnbmF0dXJlLXBhcnQ')
  }
  expect(redactSecrets(samples[4]!)).toBe(samples[4])
})
