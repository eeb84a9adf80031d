import { ErrorKind, formatMoney, TabsyncError } from '@tabsync/core'
import { SyncError, SyncErrorKind } from '@tabsync/sync'
import { expect, test } from 'vitest'
import { humanMessage } from './messages.js'

const eur = { money: (minor: number) => formatMoney(minor, 'EUR') }
const err = (message: string, kind: ErrorKind = ErrorKind.invalidInput) =>
  new TabsyncError(kind, message)

test('an overpayment reads in the store currency, not in cents and internal words', () => {
  expect(humanMessage(err('amount 50000 is more than the 2700 due'), eur)).toBe(
    '€500.00 is more than the €27.00 due.',
  )
})

test('refusals core words for developers become sentences', () => {
  expect(humanMessage(err('Balance due: 1250', ErrorKind.balanceDue), eur)).toBe(
    '€12.50 is still due: take payment first.',
  )
  expect(humanMessage(err('Cooking: choose 1 to 1'), eur)).toBe('Cooking: choose 1.')
  expect(humanMessage(err('a reason is required to void a fired line'), eur)).toBe(
    'Give a reason: this line was already sent to the kitchen.',
  )
  expect(humanMessage(err('unknown line abc', ErrorKind.notFound), eur)).toMatch(/another device/)
  expect(humanMessage(err('This check is closed. Reopen it first.', ErrorKind.closed), eur)).toBe(
    'This check is closed. Reopen it first.',
  )
})

test('no message shows an internal id or a raw number of cents', () => {
  const samples = [
    err('unknown menu item item-xyz', ErrorKind.notFound),
    err('unknown payment 3fZ9k', ErrorKind.notFound),
    err('amount 1 is more than the 0 due'),
    new Error('IndexedDB quota exceeded'),
  ]
  for (const e of samples) {
    const text = humanMessage(e, eur)
    expect(text).not.toMatch(/item-xyz|3fZ9k|IndexedDB|\b1 is\b/)
    expect(text).toMatch(/[.!]$/)
  }
})

test('a closed device is not read as a closed check, though SyncError is a TabsyncError too', () => {
  const closedDevice = new SyncError(SyncErrorKind.closed, 'device closed')
  expect(humanMessage(closedDevice, eur)).toBe(
    'Could not save on this device. Try again; if it persists, reload.',
  )
})
