import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Labels of one series, e.g. `{ direction: 'in' }`. */
export type Labels = Readonly<Record<string, string>>

/** One counter series: its labels and its value so far. */
interface Series {
  readonly labels: Labels
  value: number
}

const NO_LABELS: Labels = Object.freeze({})

const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** Counter names, so call sites cannot misspell them. */
export const Metric = {
  messages: 'tabsync_relay_messages_total',
  bytes: 'tabsync_relay_bytes_total',
  denials: 'tabsync_relay_denials_total',
  unloaded: 'tabsync_relay_documents_unloaded_total',
  upstreamConnects: 'tabsync_relay_upstream_connects_total',
  keptWrites: 'tabsync_relay_storage_writes_kept_total',
  storageFullRefusals: 'tabsync_relay_storage_full_refusals_total',
  changeFrames: 'tabsync_relay_change_frames_total',
} as const

/** The `direction` labels of the per-frame counters, as constants (their series key is cached). */
export const Direction = {
  in: Object.freeze({ direction: 'in' }),
  out: Object.freeze({ direction: 'out' }),
} as const

const COUNTERS: readonly { name: string; help: string; labelNames: string[] }[] = [
  {
    name: Metric.messages,
    help: 'WebSocket messages, by direction (in|out).',
    labelNames: ['direction'],
  },
  {
    name: Metric.bytes,
    help: 'WebSocket payload bytes, by direction (in|out).',
    labelNames: ['direction'],
  },
  {
    name: Metric.denials,
    help: 'Refused connections, frames and documents, by reason.',
    labelNames: ['reason'],
  },
  { name: Metric.unloaded, help: 'Idle documents unloaded from memory.', labelNames: [] },
  {
    name: Metric.keptWrites,
    help: 'Document writes that failed and were kept to write again, by reason.',
    labelNames: ['reason'],
  },
  {
    name: Metric.storageFullRefusals,
    help: 'Writes refused because storage fails and the kept writes are at their bound, by where (frame: socket closed 4503; upgrade: 503).',
    labelNames: ['at'],
  },
  {
    name: Metric.changeFrames,
    help: 'Inbound fast-path change frames, by outcome (applied|known|missing-deps|not-loaded|corrupt).',
    labelNames: ['outcome'],
  },
  {
    name: Metric.upstreamConnects,
    help: 'Successful connections to the upstream relay.',
    labelNames: [],
  },
]

/**
 * The relay's metrics, on prom-client with one registry per relay (several relays may share a
 * process: tests, a hub beside a relay), rendered in the Prometheus text format by
 * {@link RelayMetrics.render}. Gauges that mirror live state (connections, devices, documents)
 * are read through callbacks at scrape time so they can never drift from the truth.
 */
export class RelayMetrics {
  /** The prom-client registry: add your own metrics to it, or merge it with others. */
  readonly registry = new Registry()
  /**
   * Counter series, per counter name. Counted here (one addition per frame on the hot path) and
   * handed to prom-client when it is scraped: prom-client's own `inc` hashes the labels on every
   * call, about 1% of the relay's CPU per change at four calls per frame.
   */
  readonly #series = new Map<string, Map<string, Series>>()
  /** Series key per labels object: per-frame call sites pass constant ones. */
  readonly #keys = new WeakMap<Labels, string>()
  readonly #writes: Histogram
  readonly #writeErrors: Counter
  #writeCount = 0

  constructor() {
    for (const { name, help, labelNames } of COUNTERS) {
      const series = new Map<string, Series>()
      this.#series.set(name, series)
      new Counter({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset()
          for (const s of series.values()) this.inc(s.labels, s.value)
        },
      })
    }
    this.#writes = new Histogram({
      name: 'tabsync_relay_storage_write_seconds',
      help: 'Latency of storage writes (save, remove).',
      buckets: WRITE_BUCKETS,
      registers: [this.registry],
    })
    this.#writeErrors = new Counter({
      name: 'tabsync_relay_storage_write_errors_total',
      help: 'Failed storage writes.',
      registers: [this.registry],
    })
  }

  /** Adds `by` to a counter series. */
  inc(name: string, labels: Labels = NO_LABELS, by = 1): void {
    const series = this.#series.get(name)
    if (!series) throw new Error(`Unknown counter ${name}`)
    const key = this.#keyOf(labels)
    const entry = series.get(key)
    if (entry) entry.value += by
    else series.set(key, { labels: { ...labels }, value: by })
  }

  /** Current value of a counter series (tests, health). */
  value(name: string, labels: Labels = NO_LABELS): number {
    return this.#series.get(name)?.get(this.#keyOf(labels))?.value ?? 0
  }

  #keyOf(labels: Labels): string {
    let key = this.#keys.get(labels)
    if (key === undefined) {
      key = seriesKey(labels)
      this.#keys.set(labels, key)
    }
    return key
  }

  /** Registers a gauge read at scrape time; its label names are those of the first series read. */
  gauge(name: string, help: string, read: () => Iterable<[Labels, number]>): void {
    const first = [...read()][0]
    const labelNames = first ? Object.keys(first[0]) : labelNamesOf(name)
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [labels, value] of read()) this.set(labels, Number.isFinite(value) ? value : 0)
      },
    })
  }

  /** Records one storage write's duration. */
  observeWrite(seconds: number, ok: boolean): void {
    this.#writeCount += 1
    this.#writes.observe(seconds)
    if (!ok) this.#writeErrors.inc()
  }

  /** Number of storage writes observed. */
  get storageWrites(): number {
    return this.#writeCount
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType
  }
}

/** Label names of the gauges whose callbacks may read no series at start. */
function labelNamesOf(name: string): string[] {
  return name === 'tabsync_relay_authenticated_devices' ? ['store'] : []
}

function seriesKey(labels: Labels): string {
  const keys = Object.keys(labels).sort()
  return keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')
}
