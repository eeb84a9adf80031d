// @tabsync/printer: the kitchen print bridge. Prints every fired ticket exactly once.

export { PrinterError, PrinterErrorKind, isPrinterError } from './errors.js'

export { createPrintBridge } from './bridge/print-bridge.js'
export { CrashStep } from './bridge/bridge-life.js'
export type { PrinterConfig } from './bridge/printer-worker.js'
export type { PrintBridge, PrintBridgeOptions } from './bridge/print-bridge.js'
export { PrinterState } from './bridge/bridge-status.js'
export type {
  BridgeStatus,
  PrinterStatus,
  ConfirmationItem,
  TicketView,
} from './bridge/bridge-status.js'
export { planPrinter, uncovered, cover, isNothing } from './bridge/print-plan.js'
export type { PrinterPlan, Coverage, QueuedTicket } from './bridge/print-plan.js'

export { openPrintLedger, LedgerState, INTERRUPTED } from './ledger/print-ledger.js'
export type {
  PrintLedger,
  PrintLedgerOptions,
  LedgerEntry,
  UnrecordedOutcome,
} from './ledger/print-ledger.js'
export { LedgerRecordSchema, parseLedgerRecord } from './ledger/ledger-record.js'
export type { LedgerRecord } from './ledger/ledger-record.js'
export { openJournal } from './ledger/journal.js'
export { acquireDirLock } from './ledger/dir-lock.js'
export type { DirLock } from './ledger/dir-lock.js'
export type { Journal, OpenedJournal } from './ledger/journal.js'

export { renderTicket, ticketRef } from './escpos/render-ticket.js'
export type { RenderOptions, TicketPrint } from './escpos/render-ticket.js'
export { decodeEscPos, tidyText } from './escpos/decode-escpos.js'
export type { DecodedStream, DecodeOptions } from './escpos/decode-escpos.js'
export { DEFAULT_CHARSET, resolveCharset } from './escpos/code-pages.js'
export type { ResolvedCharset } from './escpos/code-pages.js'
export { printableText } from './escpos/printable-text.js'
export { emojiName } from './escpos/emoji-names.js'
export { PrinterReadiness } from './escpos/status-probe.js'

export { parseBridgeArgs, BRIDGE_USAGE } from './cli/bridge-args.js'
export type { BridgeConfig } from './cli/bridge-args.js'

export { sendToPrinter } from './transport/tcp-printer.js'
export type { SendOptions } from './transport/tcp-printer.js'
export { parsePrinterUrl } from './transport/printer-url.js'
export type { PrinterEndpoint } from './transport/printer-url.js'

export { startFakePrinter, FakePrinterMode } from './fake/fake-printer.js'
export { formatReceipt } from './cli/fake-printer-main.js'
export type { FakePrinter, FakePrinterOptions, FakeReceipt } from './fake/fake-printer.js'

export { createDeviceSource } from './source/device-source.js'
export type { DeviceSourceOptions } from './source/device-source.js'
export type { TicketSource, OrderSnapshot } from './source/ticket-source.js'

export { startStatusServer } from './http/status-server.js'
export { storeTokenAuthorizer, ACTION_ROLES } from './http/store-token-auth.js'
export type { ActionAuth, ActionAuthorizer } from './http/store-token-auth.js'
export type { StatusServer, StatusServerOptions } from './http/status-server.js'

export { startDemoPrintStation } from './demo/demo-print-station.js'
export type { DemoPrintStation, DemoPrintStationOptions } from './demo/demo-print-station.js'
