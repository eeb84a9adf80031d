import type { AutomergeUrl } from '@automerge/automerge-repo'
import { businessDate, recordPrint, type OrderData, type StoreData } from '@tabsync/core'
import type { Device } from '@tabsync/sync'
import type { OrderSnapshot, TicketSource } from './ticket-source.js'

/** Options of {@link createDeviceSource}. */
export interface DeviceSourceOptions {
  /** Business days watched, today included. Default 2. */
  readonly days?: number
}

/**
 * A {@link TicketSource} over a `@tabsync/sync` device: the device brings storage, the hub and
 * relay connections, the persisted hybrid clock and "saved" semantics; this follows the orders
 * of the watched business days through the device's table documents.
 */
export function createDeviceSource(
  device: Device,
  options: DeviceSourceOptions = {},
): TicketSource {
  const days = options.days ?? 2
  const orders = new Map<string, OrderData>()
  const listeners = new Set<() => void>()
  let loading = 0
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
  const store = (): StoreData | undefined => {
    try {
      return device.store()
    } catch {
      return undefined
    }
  }
  const dates = (): string[] => {
    const s = store()
    if (!s) return []
    const now = device.clock.physicalMs()
    return Array.from({ length: days }, (_, i) => businessDate(now - i * 86_400_000, s))
  }
  /** Runs a load, counted in `loading` so the bridge is not idle while documents arrive. */
  const load = (work: () => Promise<void>) => {
    loading++
    work()
      .catch(() => undefined) // unavailable for now: the next change event tries again
      .finally(() => {
        loading--
        emit()
      })
  }
  /**
   * Re-reads one table's orders for the watched days. One load per table, so a table document
   * that cannot be had right now (not synced yet, denied) does not hold up the others.
   */
  const tableBusy = new Set<string>()
  const tableAgain = new Set<string>()
  const refreshTable = (tableId: string) => {
    if (tableBusy.has(tableId)) {
      tableAgain.add(tableId)
      return
    }
    tableBusy.add(tableId)
    load(async () => {
      try {
        do {
          tableAgain.delete(tableId)
          for (const date of dates()) {
            for (const { url, summary } of await device.tableOrders(tableId, {
              businessDate: date,
            })) {
              if (!closed) orders.set(url, summary.order)
            }
          }
        } while (tableAgain.has(tableId) && !closed)
      } finally {
        tableBusy.delete(tableId)
      }
    })
  }
  const refresh = (tableUrl?: string) => {
    const tables = Object.values(store()?.tables ?? {})
    for (const t of tables) if (tableUrl === undefined || t.url === tableUrl) refreshTable(t.id)
  }
  const inflight = new Set<string>()
  const reload = (url: string) => {
    if (inflight.has(url)) return
    inflight.add(url)
    load(async () => {
      try {
        const summary = await device.orderSummary(url as AutomergeUrl)
        if (!closed) orders.set(url, summary.order)
      } finally {
        inflight.delete(url)
      }
    })
  }

  const unsubscribe = device.onChange((event) => {
    if (event.kind === 'order') reload(event.url)
    else if (event.kind === 'table') refresh(event.url)
    else refresh()
  })
  load(async () => {
    await device.ready()
    refresh()
  })

  return {
    deviceId: device.deviceId,
    store,
    loading: () => loading,
    orders(): OrderSnapshot[] {
      const watched = new Set(dates())
      return [...orders]
        .filter(([, order]) => watched.has(order.businessDate))
        .map(([url, order]) => ({ url, order }))
    },
    order(url) {
      const order = orders.get(url)
      if (!order) reload(url)
      return order
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async recordPrint(url, input) {
      await device.run(url as AutomergeUrl, (doc, ctx) => {
        const at = orders.get(url)?.tickets[input.ticketId]?.at
        if (at) ctx.clock.receive(at) // the print record is stamped after the fire
        recordPrint(doc, ctx, input)
      })
    },
    async close() {
      closed = true
      unsubscribe()
      listeners.clear()
    },
  }
}
