import { PrinterError, PrinterErrorKind } from '../errors.js'

/** Where and how to reach one network printer. */
export interface PrinterEndpoint {
  readonly host: string
  readonly port: number
  /**
   * Ask the printer for its status before and after each ticket (DLE EOT). On by default: it is
   * what lets a stalled or paper-out printer be retried without risk, and what proves the printer
   * read every byte. Turn it off (`?probe=0`) only for printers that never answer; then a ticket
   * counts as printed once the bytes are handed to the network, and a stall after connecting
   * leaves the ticket "may not have printed".
   */
  readonly probe: boolean
  /** Characters per line, if the URL sets it (`?columns=48`). */
  readonly columns: number | undefined
}

/**
 * Parses `tcp://host[:port][?probe=0][&columns=48]` (port 9100 by default).
 *
 * @example
 * parsePrinterUrl('tcp://10.0.0.50:9100') // { host: '10.0.0.50', port: 9100, probe: true, ... }
 */
export function parsePrinterUrl(url: string): PrinterEndpoint {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new PrinterError(PrinterErrorKind.config, `not a printer URL: ${url}`)
  }
  if (u.protocol !== 'tcp:' || u.hostname === '') {
    throw new PrinterError(PrinterErrorKind.config, `printer URL must be tcp://host:port: ${url}`)
  }
  const port = u.port === '' ? 9100 : Number(u.port)
  const probe = u.searchParams.get('probe')
  const columns = u.searchParams.get('columns')
  if (columns !== null && !/^\d+$/.test(columns)) {
    throw new PrinterError(PrinterErrorKind.config, `columns must be a number: ${url}`)
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    probe: probe === null || !['0', 'false', 'off', 'no'].includes(probe),
    columns: columns === null ? undefined : Number(columns),
  }
}
