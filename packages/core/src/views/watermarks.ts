import type { Hlc } from '../clock/hlc.js'
import type { OrderData } from '../schema/order.js'
import { ENTRY_MAPS } from '../schema/order.js'

/**
 * For each device, the latest hybrid-clock time of any entry it wrote in these orders: how far
 * each device's work is known here. A report is complete up to the smallest of these.
 */
export function deviceWatermarks(orders: readonly OrderData[]): Record<string, Hlc> {
  const out: Record<string, Hlc> = {}
  const see = (by: string, at: Hlc) => {
    const seen = out[by]
    if (seen === undefined || at > seen) out[by] = at
  }
  for (const order of orders) {
    see(order.openedBy, order.openedAt)
    for (const map of ENTRY_MAPS) {
      for (const e of Object.values(order[map] as Record<string, { at: Hlc; by: string }>))
        see(e.by, e.at)
    }
  }
  return out
}

/** The latest timestamp anywhere in an order (for absorbing into a device's clock). */
export function latestStamp(order: OrderData): Hlc {
  let latest = order.openedAt
  for (const map of ENTRY_MAPS) {
    for (const e of Object.values(order[map] as Record<string, { at: Hlc }>))
      if (e.at > latest) latest = e.at
  }
  return latest
}
