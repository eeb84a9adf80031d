import { expect, test } from 'vitest'
import { connectionText, printerText, waitingText } from './status-text.js'

test('waiting work reads as orders and changes, not as a count of documents', () => {
  expect(waitingText({ unsynced: 0, unsyncedOrders: 0, unsyncedChanges: 0 })).toEqual({
    text: 'All sent',
    tone: 'ok',
  })
  expect(waitingText({ unsynced: 6, unsyncedOrders: 3, unsyncedChanges: 14 }).text).toBe(
    '3 orders · 14 changes waiting',
  )
  expect(waitingText({ unsynced: 2, unsyncedOrders: 1, unsyncedChanges: 1 }).text).toBe(
    '1 order · 2 changes waiting',
  )
  expect(waitingText({ unsynced: 1, unsyncedOrders: 0, unsyncedChanges: 1 }).text).toBe(
    '1 change waiting',
  )
})

const printer = (state: string, queue = 0) => ({
  id: 'k',
  name: 'Kitchen',
  state,
  queue: Array.from({ length: queue }, () => ({})),
})

test('printers are OK only when the bridge answers and says so', () => {
  const ok = { printers: [printer('ready')], needsConfirmation: [] }
  expect(printerText({ reachable: true, bridge: ok }, 0)).toEqual({
    text: 'Printers OK',
    tone: 'ok',
  })
  expect(printerText({ reachable: undefined, bridge: undefined }, 0).text).not.toBe('Printers OK')
  expect(printerText({ reachable: false, bridge: undefined }, 0)).toEqual({
    text: 'Printers unreachable',
    tone: 'bad',
  })
  expect(printerText({ reachable: false, bridge: undefined }, 3).text).toBe(
    'Printers unreachable · 3 waiting',
  )
})

test('a printer down shows its name, its state and its queue; uncertain tickets come first', () => {
  const down = { printers: [printer('offline', 2), printer('ready')], needsConfirmation: [] }
  expect(printerText({ reachable: true, bridge: down }, 2)).toEqual({
    text: 'Kitchen unreachable · 2 waiting',
    tone: 'bad',
  })
  const paper = { printers: [printer('paper-out', 1)], needsConfirmation: [] }
  expect(printerText({ reachable: true, bridge: paper }, 1).text).toBe(
    'Kitchen out of paper · 1 waiting',
  )
  const unsure = { printers: [printer('ready')], needsConfirmation: [{}] }
  expect(printerText({ reachable: true, bridge: unsure }, 0).text).toBe('1 may not have printed')
})

test('a refused token, a refused change or an outdated relay is said as such, not as offline or online', () => {
  const at = (...states: string[]) => ({
    state: 'offline',
    endpoints: states.map((state) => ({ state })),
  })
  expect(connectionText(at('closed'))).toEqual({ text: 'Offline', tone: 'warn' })
  expect(connectionText(at('token-rejected'))).toEqual({
    text: 'Signed out: ask a manager to pair this device',
    tone: 'bad',
  })
  expect(connectionText(at('open', 'refused')).text).toBe(
    'Change refused: not allowed for this device',
  )
  expect(connectionText({ state: 'online', endpoints: [{ state: 'open' }] })).toEqual({
    text: 'Online',
    tone: 'ok',
  })
  expect(connectionText({ state: 'via-relay', endpoints: [] }).text).toBe('Online (hub down)')
  const outdated = [{ url: 'wss://relay', missing: ['table-days'] }]
  expect(connectionText({ state: 'online', endpoints: [{ state: 'open' }], outdated })).toEqual({
    text: 'Relay out of date: other devices may not see new checks',
    tone: 'bad',
  })
  expect(
    connectionText({ state: 'online', endpoints: [{ state: 'open' }], outdated: [] }).text,
  ).toBe('Online')
})
