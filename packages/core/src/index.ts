// @tabsync/core: the order model. Pure functions over Automerge documents: no I/O.
// What an application uses. Parts other Tabsync packages and tests need of the insides are
// @tabsync/core/internal; the demo store is @tabsync/core/demo.

export { TabsyncError, ErrorKind, isTabsyncError } from './errors.js'
export { newId } from './ids.js'

export { formatHlc, hlcMs } from './clock/hlc.js'
export { createHybridClock } from './clock/hybrid-clock.js'
export type { HybridClock, ClockState, SkewReport } from './clock/hybrid-clock.js'
export { businessDate, recentBusinessDates } from './clock/business-day.js'
export type { BusinessDayRule } from './clock/business-day.js'

export { percentOf, formatMoney } from './money/money.js'

export { decode } from './schema/encoding.js'
export { runCommand } from './commands/run-command.js'
export { initStoreDoc, DeviceRole, tableDaysFrom, usesTableDays } from './schema/store.js'
export type {
  StoreData,
  StoreDoc,
  StoreInit,
  TableInit,
  MenuItem,
  TableInfo,
  PrinterCharset,
} from './schema/store.js'
export { initTableDoc } from './schema/table.js'
export type { TableData, TableDoc, OrderRef } from './schema/table.js'
export {
  TableHint,
  withTableIndex,
  setOrderHint,
  orderHint,
  tableDayRefs,
} from './schema/table-index.js'
export type { HintedRef } from './schema/table-index.js'
export { fileDayRef, tableDayOrders } from './schema/table-day.js'
export type { TableDayData, TableDayDoc } from './schema/table-day.js'
export { readOrder, PrintOutcome, Tender } from './schema/order.js'
export type { OrderData, OrderDoc, Ticket, TicketItem, Payment } from './schema/order.js'

export type { CommandContext } from './commands/context.js'
export {
  openOrder,
  attachOrder,
  closeOrder,
  reopenOrder,
  moveOrder,
  changeGuests,
  setNote,
} from './commands/order-lifecycle.js'
export { addLine, changeQuantity, voidLine } from './commands/lines.js'
export type { AddLineInput } from './commands/lines.js'
export { fire, holdCourse, sendVoidTicket, recordPrint, bumpTicket } from './commands/kitchen.js'
export { addAdjustment } from './commands/adjustments.js'
export { splitCheck } from './commands/split.js'
export { takePayment, refund } from './commands/payments.js'
export { resolveConflict, keepChecksApart } from './commands/resolve.js'
export { fixConflict } from './commands/fix-conflict.js'
export { cancelOrder } from './commands/cancel.js'
export { transferOrder } from './commands/transfer.js'
export type { TransferInput } from './commands/transfer.js'
export { registerDevice, startTableDays } from './commands/store-commands.js'

export { sortedEntries, compareEntries, latestEntry } from './views/entries.js'
export { ticketStates, lineStates } from './views/line-states.js'
export type { LineState } from './views/line-states.js'
export { tableForks, isOnFloor } from './views/table-forks.js'
export type { TableFork } from './views/table-forks.js'
export { lineGross } from './views/totals.js'
export type { OrderTotals } from './views/totals.js'
export { ConflictAction } from './views/conflicts.js'
export type { Conflict } from './views/conflicts.js'
export { summarizeOrder, summarizeOrderData } from './views/order-summary.js'
export type { OrderSummary } from './views/order-summary.js'
export { kitchenQueue } from './views/kitchen-queue.js'
export type { KitchenQueueTicket } from './views/kitchen-queue.js'
export { salesReport, salesReportOfDigests, behindDevices } from './views/sales-report.js'
export type { SalesReport, Bucket } from './views/sales-report.js'
export { digestOrder, isDigestOnFloor } from './views/report-digest.js'
export type { OrderDigest } from './views/report-digest.js'
export { latestStamp } from './views/watermarks.js'
