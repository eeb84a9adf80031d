import type { Logger } from 'pino'
import type { OrderData, Ticket } from '@tabsync/core'
import { backoffDelay } from '@tabsync/protocol'
import { PrinterError, PrinterErrorKind, isPrinterError } from '../errors.js'
import { renderTicket, type RenderOptions } from '../escpos/render-ticket.js'
import type { LedgerEntry, PrintLedger } from '../ledger/print-ledger.js'
import { parsePrinterUrl, type PrinterEndpoint } from '../transport/printer-url.js'
import { sendToPrinter, type SendOptions } from '../transport/tcp-printer.js'
import type { TicketSource } from '../source/ticket-source.js'
import { CrashStep, Crashed, type BridgeLife } from './bridge-life.js'
import { PrinterState } from './bridge-status.js'
import { isNothing, planPrinter, uncovered, type PrinterPlan } from './print-plan.js'

/** One printer a bridge owns: its id in the store document and where it is. */
export interface PrinterConfig {
  /** Matches a key of the store document's `printers`. */
  readonly id: string
  /** `tcp://host:9100` (see `parsePrinterUrl` for options). */
  readonly url: string
}

/** Options of {@link createPrinterWorker}. */
export interface PrinterWorkerOptions {
  readonly printer: PrinterConfig
  readonly source: TicketSource
  readonly ledger: PrintLedger
  readonly life: BridgeLife
  readonly log: Logger
  readonly now: () => number
  /** Back-off while the printer fails, doubling from `initialMs` up to `maxMs`. */
  readonly retry: { readonly initialMs: number; readonly maxMs: number }
  readonly timeouts: Pick<SendOptions, 'connectTimeoutMs' | 'statusTimeoutMs' | 'writeTimeoutMs'>
  readonly render: RenderOptions | undefined
  /** Something staff may see changed (state, queue). */
  readonly changed: () => void
  /** The ledger has a new outcome to write into its order. */
  readonly outcome: () => void
}

/** What a worker is doing, as the status shows it. */
export interface PrinterRuntime {
  readonly state: PrinterState
  readonly lastError: string | null
  readonly lastErrorAt: number | null
  readonly failures: number
  readonly nextRetryAt: number | null
  readonly lastPrintedAt: number | null
  /** Reprints staff asked for, not printed yet. */
  readonly reprints: readonly string[]
}

/** The loop that prints one printer's tickets, one at a time, in order. */
export interface PrinterWorker {
  readonly id: string
  readonly url: string
  runtime(): PrinterRuntime
  /** The printer's pending tickets now (empty until the store is loaded). */
  plan(): PrinterPlan
  /** Waiting for work with nothing it could do now. */
  idle(): boolean
  /** Queues a REPRINT of a ticket this printer already handled. */
  reprint(ticketId: string): void
  /** New documents or requests: look for work again. */
  wake(): void
  /** Ends any wait (work or back-off) so the loop sees the bridge stopped. */
  interrupt(): void
  /** Settles when the loop has ended. */
  readonly done: Promise<void>
}

type Job =
  | { kind: 'print'; orderUrl: string; ticket: Ticket; quantities: Record<string, number> }
  | { kind: 'reprint'; entry: LedgerEntry; ticket: Ticket }

/**
 * Starts the worker of one printer. Each ticket: plan (duplicates are settled without the
 * printer), probe, SENDING in the ledger, bytes, PRINTED in the ledger, then the outcome
 * recorder is told (README "Exactly once"). A failure before SENDING leaves the ticket queued
 * and backs off (the protocol's backoff, no jitter: one bridge per printer, no crowd to spread);
 * a failure after it flags the ticket for staff and goes on with the next one.
 */
export function createPrinterWorker(options: PrinterWorkerOptions): PrinterWorker {
  const { source, ledger, life, log, now, printer } = options
  const id = printer.id
  const endpoint: PrinterEndpoint = parsePrinterUrl(printer.url)
  let state: PrinterState = PrinterState.ready
  let lastError: string | null = null
  let lastErrorAt: number | null = null
  let failures = 0
  let nextRetryAt: number | null = null
  let lastPrintedAt: number | null = null
  let reprints: string[] = []
  let waiting = false
  /** The last send failed after bytes may have left (its ticket now waits for staff). */
  let flagged = false
  let wake: (() => void) | undefined
  /** Ends a retry back-off early (only stop does: a busy store must not defeat the back-off). */
  let interrupt: (() => void) | undefined

  const info = () => source.store()?.printers[id]
  const ticketOf = (orderUrl: string, ticketId: string): Ticket | undefined =>
    source.order(orderUrl)?.tickets[ticketId]

  const plan = (): PrinterPlan => {
    const stations = new Set(info()?.stations ?? [])
    const orders = source.orders()
    const byUrl = new Map(orders.map((o) => [o.url, o.order]))
    return planPrinter(orders, stations, (ticket, url) => {
      if (ledger.get(id, ticket.id)) return true
      const order = byUrl.get(url)
      return order !== undefined && printedBy(order, id, ticket.id)
    })
  }

  /** Settles duplicates (no printer needed) and returns the next thing to send, if any. */
  const nextJob = (settle = false): Job | undefined => {
    if (!source.store()) return undefined
    for (const ticketId of reprints) {
      const entry = ledger.get(id, ticketId)
      const ticket = entry && ticketOf(entry.orderUrl, ticketId)
      if (entry && ticket) return { kind: 'reprint', entry, ticket }
    }
    const { queue, coverage } = plan()
    for (const q of queue) {
      const quantities = uncovered(coverage, q.ticket)
      if (!isNothing(quantities)) return { kind: 'print', ...q, quantities }
      if (!settle) return { kind: 'print', ...q, quantities } // a duplicate still to settle
      ledger.duplicate(id, q.ticket.id, q.orderUrl)
      log.info(
        { printerId: id, ticketId: q.ticket.id, orderUrl: q.orderUrl },
        'duplicate ticket: every unit already printed, not printing',
      )
      options.outcome()
    }
    return undefined
  }

  const markUncertain = (ticketId: string, orderUrl: string, job: string, e: unknown) => {
    flagged = true
    const reason = e instanceof Error ? e.message : String(e)
    try {
      ledger.uncertain(id, ticketId, job, reason)
    } catch (err) {
      log.error({ err, printerId: id, ticketId }, 'could not write to the ledger')
    }
    log.error(
      { printerId: id, ticketId, orderUrl, err: reason },
      'ticket may not have printed: staff must confirm or reprint',
    )
  }

  const send = async (job: Job) => {
    const reprint = job.kind === 'reprint'
    const ticket = job.ticket
    const orderUrl = reprint ? job.entry.orderUrl : job.orderUrl
    const quantities = reprint ? reprintQuantities(job.entry, ticket) : job.quantities
    const bytes = renderTicket(
      { ticket, quantities, reprint, store: source.store(), printedAt: now() },
      {
        ...options.render,
        ...(endpoint.columns ? { columns: endpoint.columns } : {}),
        // What this printer can print, from the store document: a change applies to the next ticket.
        charset: info()?.charset ?? options.render?.charset,
      },
    )
    let jobId: string | undefined
    state = PrinterState.printing
    options.changed()
    try {
      await sendToPrinter(endpoint, bytes, {
        ...options.timeouts,
        beforeBytes: () => {
          if (life.stopped) throw new PrinterError(PrinterErrorKind.stopped, 'bridge stopped')
          jobId = ledger.beginSend({
            printerId: id,
            ticketId: ticket.id,
            orderUrl,
            quantities,
            reprint,
          })
          life.crashAt(CrashStep.afterLedger, id, ticket.id)
        },
        midSend: () => life.crashAt(CrashStep.duringSend, id, ticket.id),
      })
    } catch (e) {
      // Any failure once SENDING is on disk may have let bytes out: the ticket waits for staff.
      if (jobId && !life.stopped && !(e instanceof Crashed))
        markUncertain(ticket.id, orderUrl, jobId, e)
      throw e
    }
    life.crashAt(CrashStep.afterSend, id, ticket.id)
    if (!jobId) throw new Error('sent without a ledger job')
    try {
      ledger.printed(id, ticket.id, jobId)
    } catch (e) {
      if (!life.stopped) markUncertain(ticket.id, orderUrl, jobId, e)
      throw e
    }
    lastPrintedAt = now()
    log.info({ printerId: id, ticketId: ticket.id, orderUrl, reprint }, 'printed')
    life.crashAt(CrashStep.afterPrinted, id, ticket.id)
    options.outcome()
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        interrupt = undefined
        resolve()
      }
      interrupt = done
    })

  const dropReprint = (ticketId: string) => {
    reprints = reprints.filter((t) => t !== ticketId)
  }

  const loop = async () => {
    while (!life.stopped) {
      const job = nextJob(true)
      if (!job) {
        state =
          info() || !source.store()
            ? state === PrinterState.error
              ? PrinterState.error
              : PrinterState.ready
            : PrinterState.unconfigured
        waiting = true
        options.changed()
        await new Promise<void>((resolve) => {
          wake = () => {
            wake = undefined
            resolve()
          }
        })
        waiting = false
        continue
      }
      flagged = false
      try {
        await send(job)
        if (job.kind === 'reprint') dropReprint(job.ticket.id)
        failures = 0
        nextRetryAt = null
        state = PrinterState.ready
        options.changed()
      } catch (e) {
        if (e instanceof Crashed || life.stopped) return
        const message = e instanceof Error ? e.message : String(e)
        lastError = message
        lastErrorAt = now()
        if (flagged) {
          // Not resent: it waits for staff. The printer may be fine; go on with the next ticket.
          if (job.kind === 'reprint') dropReprint(job.ticket.id)
          state = PrinterState.error
        } else {
          state = stateOf(e)
        }
        failures++
        const delay = backoffDelay(failures - 1, { ...options.retry, jitter: 0 })
        nextRetryAt = now() + delay
        log.warn({ printerId: id, err: message, retryInMs: delay }, 'printer failed; will retry')
        options.changed()
        await sleep(delay)
      }
    }
  }

  const done = loop().catch((e: unknown) => {
    if (!(e instanceof Crashed)) log.error({ err: e, printerId: id }, 'printer loop failed')
  })

  return {
    id,
    url: printer.url,
    runtime: () => ({
      state,
      lastError,
      lastErrorAt,
      failures,
      nextRetryAt,
      lastPrintedAt,
      reprints: [...reprints],
    }),
    plan: () => (source.store() ? plan() : { queue: [], coverage: emptyCoverage() }),
    idle: () => waiting && reprints.length === 0 && nextJob() === undefined,
    reprint(ticketId) {
      if (!reprints.includes(ticketId)) reprints.push(ticketId)
      log.info({ printerId: id, ticketId }, 'reprint requested')
      wake?.()
    },
    wake: () => wake?.(),
    interrupt() {
      wake?.()
      interrupt?.()
    },
    done,
  }
}

function printedBy(order: OrderData, printerId: string, ticketId: string): boolean {
  return Object.values(order.prints).some(
    (r) => r.ticketId === ticketId && r.printerId === printerId,
  )
}

function emptyCoverage(): PrinterPlan['coverage'] {
  return { units: new Map(), voids: new Set() }
}

function stateOf(e: unknown): PrinterState {
  if (isPrinterError(e, PrinterErrorKind.notReady)) {
    return e.details['state'] === 'paper-out' ? PrinterState.paperOut : PrinterState.notReady
  }
  return PrinterState.offline
}

/** A reprint prints what the first print printed; a skipped duplicate prints in full. */
function reprintQuantities(entry: LedgerEntry, ticket: Ticket): Record<string, number> {
  if (!isNothing(entry.quantities)) return { ...entry.quantities }
  return Object.fromEntries(ticket.items.map((i) => [i.lineId, i.quantity]))
}
