import { expect, test } from 'vitest'
import { loadProgressText } from './load-progress.js'

test('a new device says what it fetches and how many of how many', () => {
  expect(loadProgressText({ what: 'tables', done: 3, total: 18, fetching: true })).toBe(
    'Fetching tables from the store: 3 of 18',
  )
  expect(loadProgressText({ what: 'orders', done: 0, total: 15, fetching: true })).toBe(
    'Fetching orders from the store: 0 of 15',
  )
})

test('a device reading its own storage says loading, with the counts', () => {
  expect(loadProgressText({ what: 'orders', done: 15, total: 15, fetching: false })).toBe(
    'Loading orders: 15 of 15',
  )
  expect(loadProgressText({ what: 'store', done: 0, total: 1, fetching: false })).toBe(
    'Loading the store…',
  )
})
