// @tabsync/core: the order model. Pure functions over Automerge documents: no I/O.

export { TabsyncError, ErrorKind, isTabsyncError, check, assert } from './errors.js'
export { newId, isId } from './ids.js'
export {
  STORE_BOUND_TAG,
  storeBoundIdBytes,
  isStoreBoundId,
  isIdOfStore,
} from './store-bound-id.js'

export { formatHlc, parseHlc, isHlc, hlcMs, maxHlc, MAX_COUNTER } from './clock/hlc.js'
export type { Hlc, HlcParts } from './clock/hlc.js'
export { createHybridClock } from './clock/hybrid-clock.js'
export type {
  HybridClock,
  HybridClockOptions,
  ClockState,
  SkewReport,
  ReceiveResult,
} from './clock/hybrid-clock.js'
export { businessDate, localHour } from './clock/business-day.js'
export type { BusinessDayRule } from './clock/business-day.js'

export {
  BASIS_POINTS,
  percentOf,
  includedTax,
  allocate,
  evenly,
  formatMoney,
} from './money/money.js'

export { encode, decode, text, asCounter } from './schema/encoding.js'
export type { Encoded, CounterNumber } from './schema/encoding.js'
export { SCHEMA_VERSION, CURRENT_SCHEMA, DocKind } from './schema/version.js'
export type { SchemaLevels } from './schema/version.js'
export {
  MIGRATIONS,
  migrationRegistry,
  migrationChange,
  migrate,
  pendingMigrations,
  schemaOf,
  kindOf,
  fixedActor,
} from './schema/migrations.js'
export type { Migration, MigrationRegistry } from './schema/migrations.js'
export {
  Compatibility,
  compatibility,
  assertWritable,
  newerContent,
  knownKeys,
} from './schema/compat.js'
export type { NewerContent } from './schema/compat.js'
export { runCommand } from './commands/run-command.js'
export { initStoreDoc, DeviceRole } from './schema/store.js'
export type {
  StoreData,
  StoreDoc,
  StoreInit,
  TaxRate,
  Category,
  MenuItem,
  ModifierGroup,
  ModifierOption,
  TableInfo,
  DeviceInfo,
  PrinterInfo,
  PrinterCharset,
} from './schema/store.js'
export { encodeBundle, decodeBundle } from './schema/bundle.js'
export type { BundledDocument } from './schema/bundle.js'
export { initTableDoc } from './schema/table.js'
export type { TableData, TableDoc, OrderRef } from './schema/table.js'
export {
  TableHint,
  tableIndexChange,
  dayChange,
  withTableIndex,
  indexOrder,
  setOrderHint,
  orderHint,
  tableDayRefs,
} from './schema/table-index.js'
export type { HintedRef } from './schema/table-index.js'
export {
  initOrderDoc,
  readOrder,
  readEntries,
  ENTRY_MAPS,
  AdjustmentKind,
  TicketKind,
  PrintOutcome,
  SplitMode,
  Tender,
  TransferDirection,
} from './schema/order.js'
export type {
  OrderData,
  OrderDoc,
  EntryMapName,
  EntryOf,
  StoredEntry,
  OrderInit,
  Stamp,
  Line,
  LineModifier,
  VoidEntry,
  Adjustment,
  Ticket,
  TicketItem,
  PrintRecord,
  Bump,
  CourseHold,
  SplitPlan,
  Payment,
  Refund,
  CloseEvent,
  ReopenEvent,
  MoveEvent,
  Resolution,
  Transfer,
  CancelEvent,
} from './schema/order.js'

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
export type { NewOrder } from './commands/order-lifecycle.js'
export { addLine, changeQuantity, voidLine, MAX_QUANTITY } from './commands/lines.js'
export type { AddLineInput } from './commands/lines.js'
export { fire, holdCourse, sendVoidTicket, recordPrint, bumpTicket } from './commands/kitchen.js'
export type { FireInput } from './commands/kitchen.js'
export { addAdjustment } from './commands/adjustments.js'
export type { AdjustmentInput } from './commands/adjustments.js'
export { splitCheck } from './commands/split.js'
export type { SplitInput } from './commands/split.js'
export { takePayment, refund } from './commands/payments.js'
export type { PaymentInput } from './commands/payments.js'
export { resolveConflict, keepChecksApart } from './commands/resolve.js'
export { fixConflict } from './commands/fix-conflict.js'
export type { FixConflictInput } from './commands/fix-conflict.js'
export { cancelOrder } from './commands/cancel.js'
export { transferOrder } from './commands/transfer.js'
export type { TransferInput } from './commands/transfer.js'
export { registerDevice, addTable } from './commands/store-commands.js'

export { sortedEntries, compareEntries, latestEntry } from './views/entries.js'
export {
  ticketStates,
  lineStates,
  heldCourses,
  isClosedByEvents,
  isCancelledByEvents,
} from './views/line-states.js'
export { membership, readPresent } from './views/membership.js'
export type { Membership } from './views/membership.js'
export { tableForks, isOnFloor } from './views/table-forks.js'
export type { TableFork } from './views/table-forks.js'
export { INVARIANTS, MergeBehaviour } from './invariants/catalogue.js'
export type { Invariant, InvariantId } from './invariants/catalogue.js'
export { invariantViolations, unnamedViolations } from './invariants/violations.js'
export type { Violation } from './invariants/violations.js'
export type { LineState, TicketState, TicketItemState } from './views/line-states.js'
export { orderTotals, lineGross, refundedByPayment } from './views/totals.js'
export type { OrderTotals, CheckTotals, Amounts, LineAmounts, TaxLine } from './views/totals.js'
export {
  orderConflicts,
  detectConflicts,
  fieldConflicts,
  ConflictKind,
  ConflictAction,
} from './views/conflicts.js'
export type { Conflict, FieldConflict } from './views/conflicts.js'
export { orderStatus, OrderStatus } from './views/status.js'
export type { StatusView } from './views/status.js'
export { summarizeOrder, summarizeOrderData } from './views/order-summary.js'
export type { OrderSummary } from './views/order-summary.js'
export { kitchenQueue, pendingTickets } from './views/kitchen-queue.js'
export type { QueuedTicket } from './views/kitchen-queue.js'
export { salesReport, salesReportOfDigests, behindDevices } from './views/sales-report.js'
export { digestOrder, mergeWatermarks, isDigestOnFloor } from './views/report-digest.js'
export type { OrderDigest } from './views/report-digest.js'
export type { SalesReport, Bucket } from './views/sales-report.js'
export { deviceWatermarks, latestStamp } from './views/watermarks.js'

export { demoStoreInit, DEMO_TABLES } from './demo/demo-store.js'
export type { DemoTable } from './demo/demo-store.js'
