// One error base class: every layer's error is a core TabsyncError with a `kind` and a `cause`,
// so one `isTabsyncError` check catches them all, while each class and kind still tells them apart.
import { ErrorKind, TabsyncError, isTabsyncError } from '@tabsync/core'
import { ProtocolError, ProtocolErrorKind, decodeTokenClaimsUnverified } from '@tabsync/protocol'
import { RelayError, RelayErrorKind, isRelayError } from '@tabsync/relay'
import { expect, test } from 'vitest'
import { SyncError, SyncErrorKind, isSyncError } from '../src/index.js'

test('errors of core, protocol, sync and relay are all TabsyncErrors, each with its own kind and class', () => {
  const cause = new Error('underneath')
  const errors = [
    new TabsyncError(ErrorKind.notFound, 'no such item'),
    new ProtocolError(ProtocolErrorKind.badClaims, 'bad claims', { cause }),
    new SyncError(SyncErrorKind.unavailable, 'not here', {}, { cause }),
    new RelayError(RelayErrorKind.unauthorized, 'expired', 'token expired', { cause }),
  ]
  expect(errors.map((e) => [e.name, e.kind, isTabsyncError(e), e instanceof Error])).toEqual([
    ['TabsyncError', 'not-found', true, true],
    ['ProtocolError', 'bad-claims', true, true],
    ['SyncError', 'unavailable', true, true],
    ['RelayError', 'unauthorized', true, true],
  ])
  expect(errors.slice(1).map((e) => e.cause)).toEqual([cause, cause, cause])
  // A kind narrows across layers; the layer's own guard still picks its class only.
  expect(errors.filter((e) => isTabsyncError(e, 'unavailable'))).toEqual([errors[2]])
  expect(errors.filter((e) => isSyncError(e))).toEqual([errors[2]])
  expect(errors.filter((e) => isRelayError(e))).toEqual([errors[3]])
  expect(errors.filter((e) => e instanceof ProtocolError)).toEqual([errors[1]])
  expect((errors[3] as RelayError).reason).toBe('expired')
  expect(isTabsyncError(new Error('plain'))).toBe(false)
})

test('a refused token is caught by isTabsyncError with the protocol kind', () => {
  let caught: unknown
  try {
    decodeTokenClaimsUnverified('not-a-jwt')
  } catch (e) {
    caught = e
  }
  expect(isTabsyncError(caught, 'not-a-jwt')).toBe(true)
  expect(caught).toBeInstanceOf(ProtocolError)
})
