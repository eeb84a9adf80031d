/** What a printer is doing, as staff should see it. */
export const PrinterState = {
  /** Connected fine the last time (or not tried yet) and nothing to print. */
  ready: 'ready',
  printing: 'printing',
  /** Cannot connect, or connected but no answer: tickets wait, retries back off. */
  offline: 'offline',
  /** The printer answered it is out of paper (or its cover is open): tickets wait. */
  paperOut: 'paper-out',
  /** The printer said it is offline (error state): tickets wait. */
  notReady: 'not-ready',
  /** The last ticket failed part-way: it is in "needs confirmation"; others keep printing. */
  error: 'error',
  /** The store document has no printer with this id (yet): nothing is routed to it. */
  unconfigured: 'unconfigured',
} as const
export type PrinterState = (typeof PrinterState)[keyof typeof PrinterState]

/** A ticket as listed in a status. */
export interface TicketView {
  readonly ticketId: string
  /** The short reference printed on the ticket (`#` + last 8 characters of the id). */
  readonly ref: string
  readonly orderUrl: string
  readonly tableLabel: string
  readonly station: string
  readonly kind: 'fire' | 'void'
  /** The ticket's hybrid clock time. */
  readonly at: string
  readonly items: readonly { readonly name: string; readonly quantity: number }[]
}

/** One printer in the status. */
export interface PrinterStatus {
  readonly id: string
  readonly name: string
  /** The printer's URL (tcp://host:port). */
  readonly url: string
  readonly stations: readonly string[]
  readonly state: PrinterState
  readonly lastError: string | null
  readonly lastErrorAt: number | null
  readonly consecutiveFailures: number
  /** When the next attempt happens while the printer is failing (epoch ms). */
  readonly nextRetryAt: number | null
  readonly lastPrintedAt: number | null
  /** Tickets waiting for this printer, in print order. */
  readonly queue: readonly TicketView[]
  /** Reprints staff asked for that have not printed yet. */
  readonly reprints: readonly string[]
}

/** A ticket that may or may not have printed: staff confirm it printed, or ask for a reprint. */
export interface ConfirmationItem extends TicketView {
  readonly printerId: string
  /** Why it is uncertain (interrupted by a restart, or the connection failed mid-ticket). */
  readonly reason: string
  /** Since when (epoch ms). */
  readonly since: number
  /** It was a reprint that got interrupted. */
  readonly wasReprint: boolean
}

/** Everything the bridge shows to staff. Served as JSON by `GET /status`. */
export interface BridgeStatus {
  readonly deviceId: string
  /** Epoch ms of this snapshot. */
  readonly at: number
  readonly storeLoaded: boolean
  readonly printers: readonly PrinterStatus[]
  readonly needsConfirmation: readonly ConfirmationItem[]
  /** Print outcomes not yet written into their order documents. */
  readonly unrecorded: number
}
