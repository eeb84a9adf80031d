import type { Hlc } from '../clock/hlc.js'
import { localHour } from '../clock/business-day.js'
import type { OrderData } from '../schema/order.js'
import type { StoreData } from '../schema/store.js'
import { summarizeOrderData } from './order-summary.js'
import { digestOrder, mergeWatermarks, type OrderDigest } from './report-digest.js'

export interface Bucket {
  readonly count: number
  readonly amount: number
}

/** An X (running) or Z (end of day) report over the orders of one business day. */
export interface SalesReport {
  readonly businessDate: string
  readonly orderCount: number
  /** Empty checks cancelled (counted in `orderCount`, never in `openChecks`). */
  readonly cancelledCount: number
  /** Checks combined into another (their lines and payments count in that one). */
  readonly combinedCount: number
  readonly guests: number
  /** Gross sales before discounts and comps. */
  readonly gross: number
  readonly discounts: number
  readonly comps: number
  /** Sales after discounts and comps, before exclusive tax. */
  readonly net: number
  readonly tax: number
  readonly total: number
  readonly tips: number
  readonly paid: number
  readonly refunds: Bucket
  readonly voids: Bucket
  /** Net sales per menu category (count = units). */
  readonly byCategory: Readonly<Record<string, Bucket & { readonly name: string }>>
  /** Payments per tender (amount excludes tips). */
  readonly byTender: Readonly<Record<string, Bucket & { readonly tips: number }>>
  /** Net sales per store-local hour the line was added (0-23). */
  readonly byHour: Readonly<Record<number, Bucket>>
  /** Net sales per device that opened the order (the server's terminal). */
  readonly byDevice: Readonly<Record<string, Bucket>>
  readonly openChecks: readonly {
    readonly orderId: string
    readonly tableId: string
    readonly balance: number
  }[]
  /** For each device, the latest time its work is known here. */
  readonly completeness: Readonly<Record<string, Hlc>>
}

/**
 * Sales over the orders of one business day. Money figures come from the same deterministic
 * totals as each check, so the report adds up to the checks exactly. `orders` may hold other
 * days' orders too: they count only in `completeness`.
 */
export function salesReport(
  orders: readonly OrderData[],
  store: StoreData,
  date: string,
): SalesReport {
  return salesReportOfDigests(
    orders.map((o) => digestOrder(summarizeOrderData(o))),
    store,
    date,
  )
}

/**
 * {@link salesReport} from the orders' digests ({@link digestOrder}): what a device computes
 * from its summary cache without opening the orders. Identical figures by construction:
 * `salesReport` is this function over fresh digests.
 */
export function salesReportOfDigests(
  digests: readonly OrderDigest[],
  store: StoreData,
  date: string,
): SalesReport {
  const day = digests.filter((o) => o.businessDate === date)
  const r = {
    gross: 0,
    discounts: 0,
    comps: 0,
    net: 0,
    tax: 0,
    total: 0,
    tips: 0,
    paid: 0,
    guests: 0,
    refunds: { count: 0, amount: 0 },
    voids: { count: 0, amount: 0 },
  }
  const byCategory: Record<string, { name: string; count: number; amount: number }> = {}
  const byTender: Record<string, { count: number; amount: number; tips: number }> = {}
  const byHour: Record<number, { count: number; amount: number }> = {}
  const byDevice: Record<string, { count: number; amount: number }> = {}
  const openChecks: { orderId: string; tableId: string; balance: number }[] = []
  let cancelledCount = 0
  let combinedCount = 0

  for (const order of day) {
    const t = order.totals
    r.gross += t.subtotal
    r.discounts += t.discounts
    r.comps += t.comps
    r.tax += t.tax
    r.total += t.total
    r.tips += t.tips
    r.paid += t.paid
    r.guests += order.guests
    r.refunds.count += order.refundCount
    r.refunds.amount += t.refunded
    r.voids.count += order.voids.count
    r.voids.amount += order.voids.amount
    const device = (byDevice[order.openedBy] ??= { count: 0, amount: 0 })
    device.count += 1
    for (const line of order.lines) {
      r.net += line.net
      device.amount += line.net
      const cat = (byCategory[line.categoryId] ??= {
        name: store.categories[line.categoryId]?.name ?? line.categoryId,
        count: 0,
        amount: 0,
      })
      cat.count += line.quantity
      cat.amount += line.net
      const hour = (byHour[localHour(line.at, store.timeZone)] ??= { count: 0, amount: 0 })
      hour.count += line.quantity
      hour.amount += line.net
    }
    for (const p of order.payments) {
      const b = (byTender[p.tender] ??= { count: 0, amount: 0, tips: 0 })
      b.count += 1
      b.amount += p.amount
      b.tips += p.tip
    }
    if (order.status.status === 'cancelled') cancelledCount += 1
    else if (order.status.status === 'combined') combinedCount += 1
    else if (order.status.status !== 'closed') {
      openChecks.push({ orderId: order.orderId, tableId: order.tableId, balance: t.balance })
    }
  }
  return {
    businessDate: date,
    orderCount: day.length,
    cancelledCount,
    combinedCount,
    ...r,
    byCategory,
    byTender,
    byHour,
    byDevice,
    openChecks,
    completeness: mergeWatermarks(digests.map((d) => d.watermarks)),
  }
}

/**
 * A Z report is provisional while any expected device's known work stops before `cutoff`
 * (e.g. the end of the business day): that device may still hold unsynced sales.
 */
export function behindDevices(
  completeness: Readonly<Record<string, Hlc>>,
  expectedDevices: readonly string[],
  cutoff: Hlc | string,
): string[] {
  return expectedDevices.filter((d) => {
    const seen = completeness[d]
    return seen === undefined || seen < cutoff
  })
}
