import type { Hlc } from '../clock/hlc.js'
import type { OrderSummary } from './order-summary.js'
import type { StatusView } from './status.js'
import { refundedByPayment } from './totals.js'
import { deviceWatermarks } from './watermarks.js'

/**
 * What the floor and the X/Z report need of one order, as plain JSON: a device keeps it next to
 * the order document (its summary cache, in @tabsync/sync), valid for exactly the heads it was
 * derived at, so a report of a stored day does not open every order. Derived only by
 * {@link digestOrder} from the document itself: never taken from another device.
 */
export interface OrderDigest {
  readonly orderId: string
  readonly tableId: string
  readonly businessDate: string
  readonly openedAt: Hlc
  readonly openedBy: string
  readonly guests: number
  readonly status: StatusView
  /** Conflicts staff still have to act on. */
  readonly conflicts: number
  readonly totals: {
    readonly subtotal: number
    readonly discounts: number
    readonly comps: number
    /** Exclusive plus inclusive tax. */
    readonly tax: number
    readonly total: number
    readonly tips: number
    readonly paid: number
    readonly refunded: number
    readonly balance: number
  }
  /** Refund entries this order still holds (moved ones count where they went). */
  readonly refundCount: number
  readonly voids: { readonly count: number; readonly amount: number }
  /** Lines that count (not voided), with their net amount. */
  readonly lines: readonly {
    readonly categoryId: string
    readonly at: Hlc
    readonly quantity: number
    readonly net: number
  }[]
  /** Payments this order holds; `amount` net of its refunds, tips apart. */
  readonly payments: readonly {
    readonly tender: string
    readonly amount: number
    readonly tip: number
  }[]
  /** Latest known time per device in this order (every entry, moved ones too). */
  readonly watermarks: Readonly<Record<string, Hlc>>
}

/** The digest of an order from its summary (`summarizeOrder(doc)`). */
export function digestOrder(s: OrderSummary): OrderDigest {
  const t = s.totals
  const o = s.order
  const voids = { count: 0, amount: 0 }
  const lines: { categoryId: string; at: Hlc; quantity: number; net: number }[] = []
  for (const ls of s.lines) {
    if (ls.voided) {
      voids.count += 1
      voids.amount +=
        (ls.line.unitPrice + ls.line.modifiers.reduce((a, m) => a + m.price, 0)) * ls.quantity
      continue
    }
    const amounts = t.lines[ls.line.id]
    if (!amounts) continue
    lines.push({
      categoryId: ls.line.categoryId,
      at: ls.line.at,
      quantity: ls.quantity,
      net: amounts.net,
    })
  }
  const refunded = refundedByPayment(o)
  return {
    orderId: o.orderId,
    tableId: o.tableId,
    businessDate: o.businessDate,
    openedAt: o.openedAt,
    openedBy: o.openedBy,
    guests: o.guests,
    status: { status: s.status.status, reasons: [...s.status.reasons] },
    conflicts: s.conflicts.length,
    totals: {
      subtotal: t.subtotal,
      discounts: t.discounts,
      comps: t.comps,
      tax: t.exclusiveTax + t.inclusiveTax,
      total: t.total,
      tips: t.tips,
      paid: t.paid,
      refunded: t.refunded,
      balance: t.balance,
    },
    refundCount: Object.keys(o.refunds).length,
    voids,
    lines,
    payments: Object.values(o.payments).map((p) => ({
      tender: p.tender,
      amount: p.amount - (refunded.get(p.id) ?? 0),
      tip: p.tip,
    })),
    watermarks: deviceWatermarks([s.fullOrder]),
  }
}

/** The latest time per device over several orders' watermarks. */
export function mergeWatermarks(
  all: readonly Readonly<Record<string, Hlc>>[],
): Record<string, Hlc> {
  const out: Record<string, Hlc> = {}
  for (const marks of all) {
    for (const [device, at] of Object.entries(marks)) {
      const seen = out[device]
      if (seen === undefined || at > seen) out[device] = at
    }
  }
  return out
}

/** True while a digested order is on the floor (as `isOnFloor` for a summary). */
export function isDigestOnFloor(d: OrderDigest): boolean {
  return (
    d.status.status !== 'closed' &&
    d.status.status !== 'cancelled' &&
    d.status.status !== 'combined'
  )
}
