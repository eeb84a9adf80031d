import type { AutomergeUrl } from '@automerge/automerge-repo'
import { recordPrint, type OrderData, type StoreData } from '@tabsync/core'
import type { DayOrder, Device } from '@tabsync/sync'
import type { OrderSnapshot, TicketSource } from './ticket-source.js'

/** Options of {@link createDeviceSource}. */
export interface DeviceSourceOptions {
  /** Business days watched, today included. Default 2. */
  readonly days?: number
}

/**
 * A {@link TicketSource} over a `@tabsync/sync` device: a thin adapter from the device's day
 * view (`device.watchDays`), which follows the tables and orders of the watched business days,
 * rolls over with the business day and counts what it is still looking for. The device brings
 * storage, the hub and relay connections, the persisted hybrid clock and "saved" semantics.
 */
export function createDeviceSource(
  device: Device,
  options: DeviceSourceOptions = {},
): TicketSource {
  const days = device.watchDays(options.days !== undefined ? { days: options.days } : {})
  /** Orders outside the watched days that the ledger asked for (a ticket of an older day). */
  const others = new Map<string, OrderData>()
  const looking = new Set<string>()
  const listeners = new Set<() => void>()
  let closed = false
  let scheduled = false

  const emit = () => {
    if (scheduled || closed) return
    scheduled = true
    queueMicrotask(() => {
      scheduled = false
      if (!closed) for (const l of [...listeners]) l()
    })
  }
  const stopDays = days.onChange(emit)
  /** An order the day view does not follow: loaded once, counted in `loading` meanwhile. */
  const lookUp = (url: string) => {
    if (looking.has(url) || closed) return
    looking.add(url)
    device
      .orderSummary(url as AutomergeUrl)
      .then(
        (summary) => {
          if (!closed) others.set(url, summary.fullOrder)
        },
        () => undefined, // not here (yet): the next ask tries again
      )
      .finally(() => {
        looking.delete(url)
        emit()
      })
  }

  let lastDays: readonly DayOrder[] | undefined
  let snapshots: OrderSnapshot[] = []
  return {
    deviceId: device.deviceId,
    store(): StoreData | undefined {
      try {
        return device.store()
      } catch {
        return undefined // not loaded yet: the day view is loading it
      }
    },
    loading: () => days.loading() + looking.size,
    orders(): OrderSnapshot[] {
      const current = days.orders()
      if (current !== lastDays) {
        lastDays = current
        snapshots = current.map((o) => ({ url: o.url, order: o.order }))
      }
      return snapshots
    },
    order(url) {
      const order = days.order(url as AutomergeUrl)?.order ?? others.get(url)
      if (!order) lookUp(url)
      return order
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async recordPrint(url, input) {
      const known = days.order(url as AutomergeUrl)?.order ?? others.get(url)
      await device.run(url as AutomergeUrl, (doc, ctx) => {
        const at = known?.tickets[input.ticketId]?.at
        if (at) ctx.clock.receive(at) // the print record is stamped after the fire
        recordPrint(doc, ctx, input)
      })
    },
    async close() {
      closed = true
      stopDays()
      days.close()
      listeners.clear()
    },
  }
}
