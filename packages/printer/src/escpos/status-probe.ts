/*
 * The printer status requests the bridge sends around a ticket. The encoder builds tickets, not
 * status requests, so these few bytes are named here (ESC/POS "DLE EOT n", real-time status
 * transmission: the printer answers one byte as soon as it reads the request, in stream order).
 *
 * Before a ticket: "are you there, online, with paper?" A printer that does not answer gets no
 * ticket bytes, so a stalled or offline printer is retried safely. After the ticket: the answer
 * proves the printer read every byte before it: only then is the ticket PRINTED.
 */

/** DLE EOT 1: printer status (bit 3 set = offline). */
export const DLE_EOT_PRINTER = Uint8Array.of(0x10, 0x04, 0x01)
/** DLE EOT 4: roll paper sensor status (bits 5 and 6 set = paper end). */
export const DLE_EOT_PAPER = Uint8Array.of(0x10, 0x04, 0x04)

/** What a printer said about itself. */
export const PrinterReadiness = {
  ready: 'ready',
  offline: 'offline',
  paperOut: 'paper-out',
} as const
export type PrinterReadiness = (typeof PrinterReadiness)[keyof typeof PrinterReadiness]

/** Reads the answers to DLE EOT 1 and DLE EOT 4. */
export function readiness(printerStatus: number, paperStatus: number): PrinterReadiness {
  if ((paperStatus & 0x60) === 0x60) return PrinterReadiness.paperOut
  if ((printerStatus & 0x08) !== 0) return PrinterReadiness.offline
  return PrinterReadiness.ready
}

/** The bytes a healthy printer answers: fixed bits 1 and 4 set, nothing else. */
export const STATUS_OK = 0x12
/** Printer status with the offline bit. */
export const STATUS_OFFLINE = 0x1a
/** Paper sensor status: paper end. */
export const STATUS_PAPER_END = 0x72
