import { expect, test } from 'vitest'
import { Direction, Metric, RelayMetrics } from './metrics.js'

/** The value of one series in the Prometheus text, or undefined when absent. */
function series(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `))
  return found === undefined ? undefined : Number(found.slice(line.length + 1))
}

test('counters read the same through value() and a scrape, and a second scrape does not add up twice', async () => {
  const metrics = new RelayMetrics()
  metrics.inc(Metric.messages, Direction.in)
  metrics.inc(Metric.messages, { direction: 'in' }) // a fresh labels object names the same series
  metrics.inc(Metric.bytes, Direction.out, 120)
  metrics.inc(Metric.denials, { reason: 'rate-limited' })
  metrics.inc(Metric.unloaded)
  expect(metrics.value(Metric.messages, Direction.in)).toBe(2)
  expect(metrics.value(Metric.messages, { direction: 'out' })).toBe(0)
  expect(metrics.value(Metric.bytes, { direction: 'out' })).toBe(120)

  const first = await metrics.render()
  expect(series(first, 'tabsync_relay_messages_total{direction="in"}')).toBe(2)
  expect(series(first, 'tabsync_relay_bytes_total{direction="out"}')).toBe(120)
  expect(series(first, 'tabsync_relay_denials_total{reason="rate-limited"}')).toBe(1)
  expect(series(first, 'tabsync_relay_documents_unloaded_total')).toBe(1)

  metrics.inc(Metric.messages, Direction.in, 3)
  const second = await metrics.render()
  expect(series(second, 'tabsync_relay_messages_total{direction="in"}')).toBe(5)
  expect(series(second, 'tabsync_relay_bytes_total{direction="out"}')).toBe(120)
})

test('an unknown counter is refused', () => {
  expect(() => new RelayMetrics().inc('tabsync_relay_no_such_total')).toThrow(/Unknown counter/)
})
