import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo/slim'
import {
  isOnFloor,
  orderHint,
  setOrderHint,
  withTableIndex,
  type OrderDoc,
  type OrderSummary,
  type StoreData,
  type TableDayDoc,
  type TableDoc,
  type TableHint,
} from '@tabsync/core'
import type { Logger } from '../log/logger.js'

/** What {@link updateHints} needs of the device. */
export interface HintHost {
  store(): StoreData
  /** The order's summary at its current heads (shared with reports and watchers). */
  summaryOf(handle: DocHandle<OrderDoc>): OrderSummary
  /** A table document of the store if it is on this device (loaded or stored), else undefined. */
  openTable(url: AutomergeUrl): Promise<DocHandle<TableDoc> | undefined>
  /** True when the store files the references of `date` in table-days. */
  usesTableDays(date: string): boolean
  /** A table-day of the store if it is on this device, else undefined. */
  openTableDay(tableId: string, date: string): Promise<DocHandle<TableDayDoc> | undefined>
  /** The device's compatibility check before a write (refuses a newer schema). */
  prepareWrite(handle: DocHandle<unknown>): void
  /** Resolves when the handles are in local storage. */
  saved(handles: DocHandle<unknown>[]): Promise<void>
  readonly logger: Logger
}

/**
 * Brings the open/closed hint of these orders' tables (their table-days, in a store that opted
 * in, else their table documents) in line with the orders, after a command
 * changed them on this device (close, reopen, cancel, combine, a fix that reopens). The order
 * document stays the truth: the hint only tells a cold device which checks to open first, so
 * a failure here is logged and the command still counts as done. A hint is written only when it
 * changes, so ordinary commands (a line added to an open check) write nothing to the table.
 */
export async function updateHints(
  host: HintHost,
  orders: readonly DocHandle<OrderDoc>[],
): Promise<void> {
  const changed = new Map<string, DocHandle<unknown>>()
  for (const order of orders) {
    try {
      const summary = host.summaryOf(order)
      const hint: TableHint = isOnFloor(summary) ? 'open' : 'closed'
      const orderId = summary.fullOrder.orderId
      // The reference is on the table the check was opened on; a move leaves it there.
      const tables = new Set([
        summary.fullOrder.tableId,
        ...Object.values(summary.fullOrder.moves).map((m) => m.fromTableId),
      ])
      const onDays = host.usesTableDays(summary.fullOrder.businessDate)
      for (const tableId of tables) {
        const table = onDays
          ? await host.openTableDay(tableId, summary.fullOrder.businessDate)
          : await legacyTable(host, tableId)
        if (!table) continue
        const doc = table.doc()
        if (!Object.hasOwn(doc.orders, orderId)) continue
        // No hint reads as "open first" already: a new check's first line writes no hint.
        const current = orderHint(doc, orderId)
        if (current === hint || (current === undefined && hint === 'open')) continue
        host.prepareWrite(table as DocHandle<unknown>)
        if (!onDays) (table as DocHandle<TableDoc>).update((t) => withTableIndex(t))
        let wrote = false
        table.change((t) => {
          wrote = setOrderHint(t, orderId, hint)
        })
        if (wrote) changed.set(table.documentId, table as DocHandle<unknown>)
      }
    } catch (err) {
      host.logger.warn({ err, documentId: order.documentId }, 'table hint not updated')
    }
  }
  if (changed.size > 0) await host.saved([...changed.values()])
}

/** A table document of the store on this device, by table id. */
async function legacyTable(
  host: HintHost,
  tableId: string,
): Promise<DocHandle<TableDoc> | undefined> {
  const url = host.store().tables[tableId]?.url
  return url ? host.openTable(url as AutomergeUrl) : undefined
}
