import { afterEach, expect, test, vi } from 'vitest'
import {
  elapsedText,
  parseFloorSnapshot,
  readFloorSnapshot,
  saveFloorSnapshot,
  type PlanArea,
} from './floor-snapshot.js'

const AREAS: PlanArea[] = [
  {
    name: 'Dining room',
    tiles: [
      { id: 't1', label: '1', state: 'free', seats: 2, openCount: 0 },
      {
        id: 't5',
        label: '5',
        state: 'fired',
        seats: 4,
        openCount: 1,
        total: '€42.00',
        guests: 3,
        openedAtMs: 1_000,
      },
    ],
  },
]

/** A Map-backed localStorage, as the browser's. */
function fakeStorage() {
  const m = new Map<string, string>()
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
  })
  return m
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

test('a saved floor reads back for its own store, and not for another store', () => {
  fakeStorage()
  saveFloorSnapshot('till-1', 'store-a', AREAS)
  expect(readFloorSnapshot('till-1', 'store-a')?.areas).toEqual(AREAS)
  expect(readFloorSnapshot('till-1', 'store-b')).toBeUndefined()
  expect(readFloorSnapshot('till-2', 'store-a')).toBeUndefined()
})

test('a malformed or non-JSON snapshot is ignored with a warning, never drawn', () => {
  const m = fakeStorage()
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  m.set('tabsync.floor.till-1', '{not json')
  expect(readFloorSnapshot('till-1', 'store-a')).toBeUndefined()
  const bad = { version: 1, storeId: 'store-a', savedAt: 1, areas: [{ name: 'x', tiles: [{}] }] }
  m.set('tabsync.floor.till-1', JSON.stringify(bad))
  expect(readFloorSnapshot('till-1', 'store-a')).toBeUndefined()
  expect(parseFloorSnapshot({ ...bad, areas: [{ name: 'x', tiles: [{ id: 't1' }] }] })).toBe(
    undefined,
  )
  expect(
    parseFloorSnapshot({
      ...bad,
      areas: [{ name: 'x', tiles: [{ ...AREAS[0]?.tiles[0], state: 'haunted' }] }],
    }),
  ).toBeUndefined()
  expect(warn).toHaveBeenCalledTimes(4)
})

test('elapsed time reads in minutes, then hours and minutes, never negative', () => {
  expect(elapsedText(0, 12 * 60_000 + 59_000)).toBe('12 min')
  expect(elapsedText(0, 65 * 60_000)).toBe('1 h 5')
  expect(elapsedText(60_000, 0)).toBe('0 min')
})
