/** Labels of one series, e.g. `{ direction: 'in' }`. */
export type Labels = Readonly<Record<string, string>>

const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const

function seriesKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`)
    .join(',')
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function line(name: string, key: string, value: number): string {
  return `${name}${key === '' ? '' : `{${key}}`} ${Number.isFinite(value) ? value : 0}`
}

/**
 * The relay's metrics, rendered in the Prometheus text format by {@link RelayMetrics.render}.
 * Gauges that mirror live state (connections, devices, documents) are read through callbacks at
 * scrape time so they can never drift from the truth.
 */
export class RelayMetrics {
  readonly #counters = new Map<string, { help: string; series: Map<string, number> }>()
  readonly #gauges = new Map<string, { help: string; read: () => Iterable<[Labels, number]> }>()
  readonly #writeBuckets = WRITE_BUCKETS.map(() => 0)
  #writeCount = 0
  #writeSum = 0
  #writeErrors = 0

  constructor() {
    this.#counter('tabsync_relay_messages_total', 'WebSocket messages, by direction (in|out).')
    this.#counter('tabsync_relay_bytes_total', 'WebSocket payload bytes, by direction (in|out).')
    this.#counter(
      'tabsync_relay_denials_total',
      'Refused connections, frames and documents, by reason.',
    )
    this.#counter('tabsync_relay_documents_unloaded_total', 'Idle documents unloaded from memory.')
    this.#counter(
      'tabsync_relay_upstream_connects_total',
      'Successful connections to the upstream relay.',
    )
  }

  #counter(name: string, help: string): void {
    this.#counters.set(name, { help, series: new Map() })
  }

  /** Adds `by` to a counter series. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    const counter = this.#counters.get(name)
    if (!counter) throw new Error(`Unknown counter ${name}`)
    const key = seriesKey(labels)
    counter.series.set(key, (counter.series.get(key) ?? 0) + by)
  }

  /** Current value of a counter series (tests, health). */
  value(name: string, labels: Labels = {}): number {
    return this.#counters.get(name)?.series.get(seriesKey(labels)) ?? 0
  }

  /** Registers a gauge read at scrape time. */
  gauge(name: string, help: string, read: () => Iterable<[Labels, number]>): void {
    this.#gauges.set(name, { help, read })
  }

  /** Records one storage write's duration. */
  observeWrite(seconds: number, ok: boolean): void {
    this.#writeCount += 1
    this.#writeSum += seconds
    if (!ok) this.#writeErrors += 1
    WRITE_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.#writeBuckets[i] = (this.#writeBuckets[i] ?? 0) + 1
    })
  }

  /** Number of storage writes observed. */
  get storageWrites(): number {
    return this.#writeCount
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = []
    for (const [name, { help, read }] of this.#gauges) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
      for (const [labels, value] of read()) out.push(line(name, seriesKey(labels), value))
    }
    for (const [name, { help, series }] of this.#counters) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
      if (series.size === 0 && !name.includes('denials')) out.push(line(name, '', 0))
      for (const [key, value] of series) out.push(line(name, key, value))
    }
    const h = 'tabsync_relay_storage_write_seconds'
    out.push(`# HELP ${h} Latency of storage writes (save, remove).`, `# TYPE ${h} histogram`)
    WRITE_BUCKETS.forEach((le, i) => {
      out.push(line(`${h}_bucket`, `le="${le}"`, this.#writeBuckets[i] ?? 0))
    })
    out.push(line(`${h}_bucket`, 'le="+Inf"', this.#writeCount))
    out.push(line(`${h}_sum`, '', this.#writeSum), line(`${h}_count`, '', this.#writeCount))
    const e = 'tabsync_relay_storage_write_errors_total'
    out.push(
      `# HELP ${e} Failed storage writes.`,
      `# TYPE ${e} counter`,
      line(e, '', this.#writeErrors),
    )
    return out.join('\n') + '\n'
  }
}

/** Counter names, so call sites cannot misspell them. */
export const Metric = {
  messages: 'tabsync_relay_messages_total',
  bytes: 'tabsync_relay_bytes_total',
  denials: 'tabsync_relay_denials_total',
  unloaded: 'tabsync_relay_documents_unloaded_total',
  upstreamConnects: 'tabsync_relay_upstream_connects_total',
} as const
