// @tabsync/printer/internal: the bridge's parts, for tests, tools and the CLI. Not a stable API:
// applications use `@tabsync/printer`.

export { CrashStep, Crashed, createBridgeLife } from './bridge/bridge-life.js'
export type { BridgeLife, CrashHook } from './bridge/bridge-life.js'
export { createPrinterWorker } from './bridge/printer-worker.js'
export type {
  PrinterWorker,
  PrinterWorkerOptions,
  PrinterRuntime,
} from './bridge/printer-worker.js'
export { createOutcomeRecorder } from './bridge/outcome-recorder.js'
export type { OutcomeRecorder, OutcomeRecorderOptions } from './bridge/outcome-recorder.js'
export { projectStatus } from './bridge/bridge-status.js'
export type { StatusInputs } from './bridge/bridge-status.js'
export { planPrinter, uncovered, cover, isNothing } from './bridge/print-plan.js'
export type { PrinterPlan, Coverage, PlannedTicket } from './bridge/print-plan.js'

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
export type { Journal, OpenedJournal } from './ledger/journal.js'
export { acquireDirLock } from './ledger/dir-lock.js'
export type { DirLock } from './ledger/dir-lock.js'

export { renderTicket } from './escpos/render-ticket.js'
export type { RenderOptions, TicketPrint } from './escpos/render-ticket.js'
export { decodeEscPos, tidyText } from './escpos/decode-escpos.js'
export type { DecodedStream, DecodeOptions } from './escpos/decode-escpos.js'
export { DEFAULT_CHARSET, resolveCharset } from './escpos/code-pages.js'
export type { ResolvedCharset } from './escpos/code-pages.js'
export { printableText } from './escpos/printable-text.js'
export { emojiName } from './escpos/emoji-names.js'
export { PrinterReadiness } from './escpos/status-probe.js'

export { sendToPrinter } from './transport/tcp-printer.js'
export type { SendOptions } from './transport/tcp-printer.js'
export { parsePrinterUrl } from './transport/printer-url.js'
export type { PrinterEndpoint } from './transport/printer-url.js'

export { parseBridgeArgs, BRIDGE_USAGE } from './cli/bridge-args.js'
export type { BridgeConfig } from './cli/bridge-args.js'
export { formatReceipt } from './cli/fake-printer-main.js'
