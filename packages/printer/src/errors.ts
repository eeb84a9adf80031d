import { TabsyncError } from '@tabsync/core'

/** Every reason the print bridge refuses or fails, at its boundaries (config, ledger, printer). */
export const PrinterErrorKind = {
  /** Bad configuration: a malformed printer URL, a missing option. */
  config: 'config',
  /** The ledger file is unreadable beyond a torn last line: a human must look at it. */
  ledgerCorrupt: 'ledger-corrupt',
  /** No connection to the printer (refused, unreachable, connect timeout): no byte left. */
  unreachable: 'unreachable',
  /** The printer is connected but does not answer its status request (stalled): no byte left. */
  noResponse: 'no-response',
  /** The printer answered that it is offline or out of paper: no byte left. */
  notReady: 'not-ready',
  /** The connection failed after ticket bytes were written: they may have printed. */
  uncertain: 'uncertain',
  /** A ticket or printer the bridge does not know. */
  notFound: 'not-found',
  /** The bridge was stopped (or crashed in a test) while the operation ran. */
  stopped: 'stopped',
} as const
export type PrinterErrorKind = (typeof PrinterErrorKind)[keyof typeof PrinterErrorKind]

/**
 * The one error class of @tabsync/printer, a core `TabsyncError` (so `isTabsyncError` is true
 * for it). `kind` says what happened; `bytesMayHaveLeft` is what
 * the exactly-once protocol cares about: when false, retrying cannot print twice.
 */
export class PrinterError extends TabsyncError<PrinterErrorKind> {
  constructor(
    kind: PrinterErrorKind,
    message: string,
    details: Record<string, unknown> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(kind, message, details, options)
    this.name = 'PrinterError'
  }

  /** True when some ticket bytes may have reached the printer before the failure. */
  get bytesMayHaveLeft(): boolean {
    return this.kind === PrinterErrorKind.uncertain
  }
}

/** True when `e` is a {@link PrinterError}, optionally of the given kind. */
export function isPrinterError(e: unknown, kind?: PrinterErrorKind): e is PrinterError {
  return e instanceof PrinterError && (kind === undefined || e.kind === kind)
}
