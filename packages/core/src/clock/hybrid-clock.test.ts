import fc from 'fast-check'
import { expect, test } from 'vitest'
import { assertProperty } from '../../test/fuzz-budget.js'
import { businessDate, recentBusinessDates } from './business-day.js'
import { formatHlc, parseHlc } from './hlc.js'
import { createHybridClock, type ClockState } from './hybrid-clock.js'

const YEAR = 365 * 24 * 3_600_000
const NOW = Date.UTC(2026, 10, 22, 19, 0)

test('never runs backwards under random wall clocks, including resets years back and restarts', () => {
  assertProperty(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('tick' as const),
            jump: fc.integer({ min: -1000, max: 5000 }),
          }),
          fc.record({
            kind: fc.constant('reset' as const),
            years: fc.integer({ min: -8, max: 0 }),
          }),
          fc.record({ kind: fc.constant('restart' as const) }),
          fc.record({
            kind: fc.constant('receive' as const),
            ahead: fc.integer({ min: -YEAR, max: 2 * 24 * 3_600_000 }),
          }),
        ),
        { maxLength: 200 },
      ),
      (steps) => {
        let wall = NOW
        let saved: ClockState | undefined
        const make = () =>
          createHybridClock({
            node: 'till',
            wallClock: () => wall,
            state: saved,
            onState: (s) => (saved = s),
          })
        let clock = make()
        let last = clock.now()
        for (const s of steps) {
          if (s.kind === 'tick') wall += s.jump
          else if (s.kind === 'reset') wall = NOW + s.years * YEAR
          else if (s.kind === 'restart') clock = make()
          else
            clock.receive(formatHlc({ ms: Math.max(0, wall + s.ahead), counter: 0, node: 'peer' }))
          const next = clock.now()
          expect(next > last, `${next} after ${last}`).toBe(true)
          last = next
        }
      },
    ),
    200,
  )
})

test('absorbs a peer timestamp ahead of it, but not one absurdly far in the future', () => {
  const clock = createHybridClock({ node: 'a', wallClock: () => NOW })
  expect(clock.receive(formatHlc({ ms: NOW + 30_000, counter: 4, node: 'b' })).absorbed).toBe(true)
  expect(parseHlc(clock.now())).toEqual({ ms: NOW + 30_000, counter: 5, node: 'a' })
  const far = clock.receive(formatHlc({ ms: NOW + 70 * YEAR, counter: 0, node: 'b' }))
  expect(far.absorbed).toBe(false)
  expect(parseHlc(clock.now()).ms).toBe(NOW + 30_000)
})

test('a device with its clock in 2018 is flagged and, once calibrated, stamps sales today', () => {
  const wall2018 = Date.UTC(2018, 0, 1, 12, 0)
  const clock = createHybridClock({ node: 'old-tablet', wallClock: () => wall2018 })
  expect(businessDate(clock.now(), { dayStartHour: 5, timeZone: 'UTC' })).toBe('2018-01-01')
  const skew = clock.calibrate(NOW)
  expect(skew.flagged).toBe(true)
  expect(skew.offsetMs).toBe(NOW - wall2018)
  expect(businessDate(clock.now(), { dayStartHour: 5, timeZone: 'UTC' })).toBe('2026-11-22')
  expect(clock.skew()).toEqual(skew)
})

test('a small skew is reported but not flagged', () => {
  const clock = createHybridClock({ node: 'a', wallClock: () => NOW - 1500 })
  expect(clock.calibrate(NOW)).toEqual({ offsetMs: 1500, flagged: false })
})

test('the counter rolls into the next millisecond rather than overflowing', () => {
  const clock = createHybridClock({
    node: 'a',
    wallClock: () => NOW,
    state: { ms: NOW, counter: 99_999 },
  })
  expect(parseHlc(clock.now())).toEqual({ ms: NOW + 1, counter: 0, node: 'a' })
})

test('malformed timestamps are a typed clock error', () => {
  const clock = createHybridClock({ node: 'a', wallClock: () => NOW })
  expect(() => clock.receive('2018-01-01')).toThrow(expect.objectContaining({ kind: 'clock' }))
  expect(() => formatHlc({ ms: -1, counter: 0, node: 'a' })).toThrow(
    expect.objectContaining({ kind: 'clock' }),
  )
})

test('business day: sales at 02:30 belong to the evening before when the day starts at 05:00', () => {
  const rule = { dayStartHour: 5, timeZone: 'Europe/Paris' }
  expect(businessDate(Date.UTC(2026, 10, 22, 1, 30), rule)).toBe('2026-11-21') // 02:30 Paris
  expect(businessDate(Date.UTC(2026, 10, 22, 4, 30), rule)).toBe('2026-11-22') // 05:30 Paris
})

test('recent business dates: today then the days before, by the same rule', () => {
  const rule = { dayStartHour: 5, timeZone: 'Europe/Paris' }
  // 02:30 Paris on 22 November: still the business day of the 21st.
  expect(recentBusinessDates(Date.UTC(2026, 10, 22, 1, 30), rule, 2)).toEqual([
    '2026-11-21',
    '2026-11-20',
  ])
  expect(recentBusinessDates(Date.UTC(2026, 10, 22, 4, 30), rule, 3)).toEqual([
    '2026-11-22',
    '2026-11-21',
    '2026-11-20',
  ])
})
