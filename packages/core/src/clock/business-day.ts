import { hlcMs, type Hlc } from './hlc.js'

/** Where a store's business day starts: hours after local midnight, in its time zone. */
export interface BusinessDayRule {
  /** 0-23; a bar closing at 3 am uses e.g. 5 so its late sales belong to the evening before. */
  readonly dayStartHour: number
  /** IANA time zone of the store, e.g. 'Europe/Paris'. */
  readonly timeZone: string
}

/**
 * The business date ('YYYY-MM-DD') a timestamp belongs to: the store-local calendar date of the
 * instant `dayStartHour` hours earlier. Always from the HLC, never from a device's raw clock.
 *
 * @example
 * businessDate(Date.UTC(2026, 10, 22, 2, 30), { dayStartHour: 5, timeZone: 'UTC' }) // '2026-11-21'
 */
export function businessDate(at: Hlc | number, rule: BusinessDayRule): string {
  const ms = typeof at === 'number' ? at : hlcMs(at)
  return localDate(ms - rule.dayStartHour * 3_600_000, rule.timeZone)
}

/**
 * The business dates of the `count` days up to `at`, newest first: the dates a till keeps on its
 * floor (today and yesterday: a check opened before the day rolled over).
 */
export function recentBusinessDates(at: number, rule: BusinessDayRule, count: number): string[] {
  return Array.from({ length: count }, (_, i) => businessDate(at - i * 86_400_000, rule))
}

/** Store-local hour (0-23) of a timestamp, for hourly reports. */
export function localHour(at: Hlc | number, timeZone: string): number {
  const ms = typeof at === 'number' ? at : hlcMs(at)
  const hour = formatter(timeZone, true)
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'hour')?.value
  return Number(hour) % 24
}

function localDate(ms: number, timeZone: string): string {
  const parts = formatter(timeZone, false).formatToParts(new Date(ms))
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string, hour: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${hour}`
  let f = formatters.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      ...(hour
        ? { hour: '2-digit', hourCycle: 'h23' }
        : { year: 'numeric', month: '2-digit', day: '2-digit' }),
    })
    formatters.set(key, f)
  }
  return f
}
