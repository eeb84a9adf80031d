// @tabsync/printer: the kitchen print bridge. Prints every fired ticket exactly once.
// What an application embedding the bridge uses. The bridge's parts (ledger, planner, ESC/POS,
// transport, CLI) are in `@tabsync/printer/internal`; the demo print station in `/demo`.

export { PrinterError, PrinterErrorKind, isPrinterError } from './errors.js'

export { createPrintBridge } from './bridge/print-bridge.js'
export type { PrintBridge, PrintBridgeOptions } from './bridge/print-bridge.js'
export type { PrinterConfig } from './bridge/printer-worker.js'
export { PrinterState } from './bridge/bridge-status.js'
export type {
  BridgeStatus,
  PrinterStatus,
  ConfirmationItem,
  TicketView,
} from './bridge/bridge-status.js'
export { ticketRef } from './escpos/render-ticket.js'

export { createDeviceSource } from './source/device-source.js'
export type { DeviceSourceOptions } from './source/device-source.js'
export type { TicketSource, OrderSnapshot } from './source/ticket-source.js'

export { startStatusServer } from './http/status-server.js'
export type { StatusServer, StatusServerOptions } from './http/status-server.js'
export { storeTokenAuthorizer, ACTION_ROLES } from './http/store-token-auth.js'
export type { ActionAuth, ActionAuthorizer } from './http/store-token-auth.js'

export { startFakePrinter, FakePrinterMode } from './fake/fake-printer.js'
export type { FakePrinter, FakePrinterOptions, FakeReceipt } from './fake/fake-printer.js'
