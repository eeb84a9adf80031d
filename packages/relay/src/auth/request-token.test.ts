import { expect, test } from 'vitest'
import { tokenSubprotocols } from '@tabsync/protocol'
import { selectSubprotocol, tokenFromRequest } from './request-token.js'

const strict = { allowQueryToken: false }
const lenient = { allowQueryToken: true }

test('the token comes from the subprotocol first, then the bearer header, then (opt-in) the query', () => {
  const both = {
    headers: {
      'sec-websocket-protocol': tokenSubprotocols('from-protocol').join(', '),
      authorization: 'Bearer from-header',
    },
    url: '/sync?token=from-query',
  }
  expect(tokenFromRequest(both, lenient)).toEqual({ token: 'from-protocol', via: 'subprotocol' })
  const header = { headers: { authorization: 'bearer from-header' }, url: '/sync?token=q' }
  expect(tokenFromRequest(header, lenient)).toEqual({ token: 'from-header', via: 'authorization' })
  expect(tokenFromRequest({ headers: {}, url: '/sync?token=q' }, lenient)).toEqual({
    token: 'q',
    via: 'query',
  })
})

test('a query token is no token unless the relay opted in; empty or malformed values neither', () => {
  expect(tokenFromRequest({ headers: {}, url: '/sync?token=q' }, strict)).toEqual({
    token: null,
    via: 'none',
  })
  const empty = { headers: { 'sec-websocket-protocol': 'tabsync.v1, tabsync.token.' }, url: '/' }
  expect(tokenFromRequest(empty, strict).token).toBeNull()
  expect(
    tokenFromRequest({ headers: { authorization: 'Basic abc' }, url: '/' }, strict).token,
  ).toBe(null)
})

test('the relay selects the wire version, never the token subprotocol, and nothing for stock clients', () => {
  expect(selectSubprotocol(new Set(tokenSubprotocols('secret')))).toBe('tabsync.v1')
  expect(selectSubprotocol(new Set(['tabsync.token.secret']))).toBe(false)
  expect(selectSubprotocol(new Set())).toBe(false)
})
