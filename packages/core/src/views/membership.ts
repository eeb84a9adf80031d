import { readOrder, type OrderData, type OrderDoc, type Transfer } from '../schema/order.js'
import { sortedEntries } from './entries.js'

/** The transfer-derived parts of an order: what left it and what the moving device saw. */
export interface Membership {
  /** The order with every entry it holds, moved ones included. */
  readonly full: OrderData
  /** The order with every entry that was transferred out (and not back in) left out. */
  readonly present: OrderData
  /** Line id -> the latest `out` transfer that moved it away from this order. */
  readonly movedLines: ReadonlyMap<string, Transfer>
  /** Payment id -> the latest `out` transfer that moved it away. */
  readonly movedPayments: ReadonlyMap<string, Transfer>
}

type Kind = 'lineIds' | 'adjustmentIds' | 'paymentIds' | 'refundIds' | 'voidIds' | 'ticketIds'

/**
 * Which of an order's entries still belong to it. An entry belongs to the order unless the
 * latest transfer entry (by at, id) naming it here is `out`: a line moved away and back counts
 * here again, and two devices moving the same line at once both say `out`, so it counts once.
 */
export function membership(order: OrderData): Membership {
  const transfers = sortedEntries(order.transfers)
  if (transfers.length === 0)
    return { full: order, present: order, movedLines: new Map(), movedPayments: new Map() }
  const latest = (kind: Kind) => {
    const last = new Map<string, Transfer>()
    for (const t of transfers) for (const id of t[kind]) last.set(id, t)
    return new Map([...last].filter(([, t]) => t.direction === 'out'))
  }
  const keep = <E>(map: Readonly<Record<string, E>>, gone: ReadonlyMap<string, Transfer>) =>
    gone.size === 0 ? map : Object.fromEntries(Object.entries(map).filter(([id]) => !gone.has(id)))
  const movedLines = latest('lineIds')
  const movedPayments = latest('paymentIds')
  const present: OrderData = {
    ...order,
    lines: keep(order.lines, movedLines),
    adjustments: keep(order.adjustments, latest('adjustmentIds')),
    payments: keep(order.payments, movedPayments),
    refunds: keep(order.refunds, latest('refundIds')),
    voids: keep(order.voids, latest('voidIds')),
    tickets: keep(order.tickets, latest('ticketIds')),
  }
  return { full: order, present, movedLines, movedPayments }
}

/** The order as it counts now (moved-away entries left out), read from its document. */
export function readPresent(doc: OrderDoc): OrderData {
  return membership(readOrder(doc)).present
}
