import type { Ticket } from '@tabsync/core'
import { ticketRef } from '../escpos/render-ticket.js'
import type { PrintLedger } from '../ledger/print-ledger.js'
import type { TicketSource } from '../source/ticket-source.js'
import type { PrinterWorker } from './printer-worker.js'

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

/** What {@link projectStatus} reads: the parts of a running bridge. */
export interface StatusInputs {
  readonly source: TicketSource
  readonly ledger: PrintLedger
  readonly workers: readonly Pick<PrinterWorker, 'id' | 'url' | 'runtime' | 'plan'>[]
  /** Epoch ms of the snapshot. */
  readonly at: number
}

/**
 * The status staff see, derived from the documents, the ledger and the workers' runtime: the
 * one place it is computed, so `GET /status`, `onStatus` and tests agree.
 */
export function projectStatus({ source, ledger, workers, at }: StatusInputs): BridgeStatus {
  const entries = ledger.entries()
  const view = (orderUrl: string, ticketId: string, quantities?: Record<string, number>) =>
    ticketView(orderUrl, ticketId, source.order(orderUrl)?.tickets[ticketId], quantities)
  const printers: PrinterStatus[] = workers.map((w) => {
    const info = source.store()?.printers[w.id]
    const r = w.runtime()
    return {
      id: w.id,
      name: info?.name ?? w.id,
      url: w.url,
      stations: info?.stations ?? [],
      state: r.state,
      lastError: r.lastError,
      lastErrorAt: r.lastErrorAt,
      consecutiveFailures: r.failures,
      nextRetryAt: r.nextRetryAt,
      lastPrintedAt: r.lastPrintedAt,
      queue: w.plan().queue.map((q) => ticketView(q.orderUrl, q.ticket.id, q.ticket)),
      reprints: r.reprints,
    }
  })
  const needsConfirmation: ConfirmationItem[] = entries
    .filter((e) => e.state === 'sending' && e.uncertain)
    .map((e) => ({
      ...view(e.orderUrl, e.ticketId, e.quantities),
      printerId: e.printerId,
      reason: e.uncertainReason ?? 'unknown',
      since: e.since,
      wasReprint: e.reprint,
    }))
  return {
    deviceId: source.deviceId,
    at,
    storeLoaded: source.store() !== undefined,
    printers,
    needsConfirmation,
    unrecorded: entries.reduce((n, e) => n + e.unrecorded.length, 0),
  }
}

/** A ticket as listed: with the printed quantities when given, else the ticket's own. */
function ticketView(
  orderUrl: string,
  ticketId: string,
  ticket: Ticket | undefined,
  quantities?: Readonly<Record<string, number>>,
): TicketView {
  return {
    ticketId,
    ref: ticketRef(ticketId),
    orderUrl,
    tableLabel: ticket?.tableLabel ?? '?',
    station: ticket?.station ?? '?',
    kind: ticket?.kind ?? 'fire',
    at: ticket?.at ?? '',
    items: (ticket?.items ?? [])
      .map((i) => ({
        name: i.name,
        quantity: quantities ? (quantities[i.lineId] ?? 0) : i.quantity,
      }))
      .filter((i) => i.quantity > 0),
  }
}
