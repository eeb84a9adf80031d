import type { InvariantId } from '../invariants/catalogue.js'
import type { ConflictAction } from './conflicts.js'
import type { OrderSummary } from './order-summary.js'

/**
 * Two or more checks open on one table at once: what two devices that opened the same free table
 * while apart leave behind. A table-level conflict, named on every device that has the orders.
 */
export interface TableFork {
  /** Deterministic: `table-fork:<tableId>:<order ids sorted, joined by +>`. */
  readonly id: string
  readonly kind: 'two-open-checks'
  readonly invariant: InvariantId
  readonly tableId: string
  /** The open orders on the table, in (openedAt, orderId) order: the first is the oldest. */
  readonly orderIds: readonly string[]
  readonly message: string
  readonly actions: readonly ConflictAction[]
  /** Staff chose to keep these checks apart (a resolution naming this id on one of them). */
  readonly accepted: boolean
}

/** True while an order is on the floor: not closed, cancelled or combined into another. */
export function isOnFloor(s: OrderSummary): boolean {
  return (
    s.status.status !== 'closed' &&
    s.status.status !== 'cancelled' &&
    s.status.status !== 'combined'
  )
}

/**
 * Every table with more than one open check among `orders` (summaries of the day's orders,
 * from any mix of documents). Combine them with `transferOrder`, or keep them apart on purpose
 * with `keepChecksApart`; a third check opened later is a new fork, flagged again.
 */
export function tableForks(orders: readonly OrderSummary[]): TableFork[] {
  const byTable = new Map<string, OrderSummary[]>()
  for (const s of orders) {
    if (!isOnFloor(s)) continue
    const list = byTable.get(s.order.tableId) ?? []
    if (!list.some((x) => x.order.orderId === s.order.orderId)) list.push(s)
    byTable.set(s.order.tableId, list)
  }
  const out: TableFork[] = []
  for (const [tableId, list] of [...byTable].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (list.length < 2) continue
    list.sort((a, b) =>
      a.order.openedAt === b.order.openedAt
        ? a.order.orderId < b.order.orderId
          ? -1
          : 1
        : a.order.openedAt < b.order.openedAt
          ? -1
          : 1,
    )
    const orderIds = list.map((s) => s.order.orderId)
    const id = `table-fork:${tableId}:${[...orderIds].sort().join('+')}`
    out.push({
      id,
      kind: 'two-open-checks',
      invariant: 'one-open-check-per-table',
      tableId,
      orderIds,
      message: `${list.length} checks are open on this table (opened on two devices while apart): combine them or keep them apart.`,
      actions: ['combine', 'keep-apart'],
      accepted: list.some((s) =>
        Object.values(s.fullOrder.resolutions).some((r) => r.conflictId === id),
      ),
    })
  }
  return out
}
