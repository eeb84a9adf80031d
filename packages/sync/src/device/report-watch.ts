import { salesReportOfDigests, type SalesReport, type StoreData } from '@tabsync/core'
import type { DayDigests } from './day-digests.js'

/** An X/Z report with the digests it was computed from (what was opened, missing, cached). */
export interface DayReport {
  readonly report: SalesReport
  readonly day: DayDigests
}

/** What {@link watchDayReport} needs of the device. */
export interface ReportHost {
  dayDigests(date: string): Promise<DayDigests>
  store(): StoreData
  /** Change events of the documents the device has open. */
  onChange(cb: (event: { kind: string }) => void): () => void
}

/** The X/Z report of a day from the device's digests (see `dayDigests`). */
export async function dayReport(host: ReportHost, date: string): Promise<DayReport> {
  const day = await host.dayDigests(date)
  return {
    report: salesReportOfDigests(
      day.orders.map((o) => o.digest),
      host.store(),
      date,
    ),
    day,
  }
}

/**
 * Calls `cb` with the day's report now and again after every change to an order, table or
 * table-day this device has open (local, or received from a peer while the report is on screen). Changes that
 * arrive while a report is being computed give one more computation, not one each.
 */
export function watchDayReport(
  host: ReportHost,
  date: string,
  cb: (report: DayReport) => void,
  onError?: (error: unknown) => void,
): () => void {
  let stopped = false
  let running = false
  let again = false
  const run = async (): Promise<void> => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        const report = await dayReport(host, date)
        if (!stopped && !again) cb(report)
      } while (again && !stopped)
    } catch (err) {
      if (!stopped) onError?.(err)
    } finally {
      running = false
    }
  }
  const off = host.onChange((e) => {
    if (!stopped && e.kind !== 'store') void run()
  })
  void run()
  return () => {
    stopped = true
    off()
  }
}
