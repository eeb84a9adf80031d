import { pino, type Logger } from 'pino'
import type { OrderData, Ticket } from '@tabsync/core'
import { backoffDelay } from '@tabsync/protocol'
import { PrinterError, PrinterErrorKind, isPrinterError } from '../errors.js'
import { renderTicket, ticketRef, type RenderOptions } from '../escpos/render-ticket.js'
import { acquireDirLock } from '../ledger/dir-lock.js'
import { openPrintLedger, type LedgerEntry, type PrintLedger } from '../ledger/print-ledger.js'
import { parsePrinterUrl, type PrinterEndpoint } from '../transport/printer-url.js'
import { sendToPrinter } from '../transport/tcp-printer.js'
import type { TicketSource } from '../source/ticket-source.js'
import { isNothing, planPrinter, uncovered } from './print-plan.js'
import {
  PrinterState,
  type BridgeStatus,
  type ConfirmationItem,
  type PrinterStatus,
  type TicketView,
} from './bridge-status.js'

/** One printer this bridge owns: its id in the store document and where it is. */
export interface PrinterConfig {
  /** Matches a key of the store document's `printers`. */
  readonly id: string
  /** `tcp://host:9100` (see `parsePrinterUrl` for options). */
  readonly url: string
}

/** The steps where tests inject a crash (see {@link PrintBridgeOptions.crash}). */
export const CrashStep = {
  /** SENDING is on disk, no byte sent yet. */
  afterLedger: 'after-ledger',
  /** Half the ticket bytes are sent. */
  duringSend: 'during-send',
  /** The printer took every byte; PRINTED is not on disk yet. */
  afterSend: 'after-send',
  /** PRINTED is on disk; the order document is not updated yet. */
  afterPrinted: 'after-printed',
} as const
export type CrashStep = (typeof CrashStep)[keyof typeof CrashStep]

/** Options of {@link createPrintBridge}. */
export interface PrintBridgeOptions {
  readonly source: TicketSource
  /** Holds the ledger (`print-ledger.jsonl`). One bridge per data directory. */
  readonly dataDir: string
  readonly printers: readonly PrinterConfig[]
  readonly logger?: Logger
  /** Retry back-off while a printer fails: the protocol's backoff, doubling from `initialMs` up
   *  to `maxMs`, without jitter (one bridge per printer: no crowd to spread). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number }
  /** See `SendOptions`: connecting, the status answer before a ticket, writing it. */
  readonly connectTimeoutMs?: number
  readonly statusTimeoutMs?: number
  readonly writeTimeoutMs?: number
  readonly render?: RenderOptions
  /** Wall clock (epoch ms). */
  readonly now?: () => number
  /**
   * Test hook, called at each {@link CrashStep}. If it throws, the bridge behaves as if the
   * process died right there: it stops at once and writes nothing more (ledger or documents).
   */
  readonly crash?: (step: CrashStep, info: { printerId: string; ticketId: string }) => void
}

/** A running print bridge. */
export interface PrintBridge {
  /** The ledger file. */
  readonly ledgerFile: string
  /** True after an injected crash. */
  readonly crashed: boolean
  status(): BridgeStatus
  /** Called (at most once per tick) whenever the status may have changed. */
  onStatus(listener: (status: BridgeStatus) => void): () => void
  /**
   * Staff ask to print a ticket again, labelled REPRINT: for a ticket that "may not have
   * printed", or one the kitchen lost. Returns the printers it was queued on. Throws
   * `not-found` for a ticket this bridge never sent (it is still in the queue, or unknown).
   */
  reprint(ticketId: string, printerId?: string): string[]
  /** Staff confirm that a "may not have printed" ticket did print. Returns the printers. */
  confirm(ticketId: string, printerId?: string): string[]
  /** Resolves when no printer has anything it could do now (tests, demo, shutdown). */
  whenIdle(): Promise<void>
  stop(): Promise<void>
}

interface Worker {
  readonly id: string
  readonly url: string
  readonly endpoint: PrinterEndpoint
  state: PrinterState
  lastError: string | null
  lastErrorAt: number | null
  failures: number
  nextRetryAt: number | null
  lastPrintedAt: number | null
  reprints: string[]
  /** Waiting for work (no job) rather than printing or backing off. */
  waiting: boolean
  /** The last send failed after bytes may have left (its ticket now waits for staff). */
  flagged: boolean
  /** Ends the wait for work (new documents, a staff request). */
  wake: (() => void) | undefined
  /** Ends a retry back-off early (only stop does: a busy store must not defeat the back-off). */
  interrupt: (() => void) | undefined
  done: Promise<void>
}

/** Thrown through the bridge once an injected crash happened. */
class Crashed extends Error {}

/**
 * Starts a print bridge: for each printer it owns, it prints every ticket of the printer's
 * stations exactly once, in order (see README "Exactly once").
 *
 * @example
 * const bridge = createPrintBridge({ source, dataDir: '/var/lib/tabsync-printer',
 *   printers: [{ id: 'kitchen-printer', url: 'tcp://10.0.0.50:9100' }] })
 * await startStatusServer({ bridge, port: 8790 })
 */
export function createPrintBridge(options: PrintBridgeOptions): PrintBridge {
  const { source } = options
  const now = options.now ?? Date.now
  const log = options.logger ?? pino({ level: 'silent' })
  const initialMs = options.retry?.initialMs ?? 500
  const maxMs = options.retry?.maxMs ?? 30_000
  const lock = acquireDirLock(options.dataDir)
  let ledger: PrintLedger
  try {
    ledger = openPrintLedger(options.dataDir, { now })
  } catch (e) {
    lock.release()
    throw e
  }
  let stopped = false
  let crashed = false
  const statusListeners = new Set<(s: BridgeStatus) => void>()
  const idleWaiters = new Set<() => void>()
  let recording = false
  let recordAgain = false
  let notifyScheduled = false

  for (const e of ledger.entries()) {
    if (e.uncertain) {
      log.warn(
        { printerId: e.printerId, ticketId: e.ticketId, orderUrl: e.orderUrl },
        'ticket may not have printed: staff must confirm or reprint',
      )
    }
  }

  const workers: Worker[] = options.printers.map((p) => ({
    id: p.id,
    url: p.url,
    endpoint: parsePrinterUrl(p.url),
    state: PrinterState.ready,
    lastError: null,
    lastErrorAt: null,
    failures: 0,
    nextRetryAt: null,
    lastPrintedAt: null,
    reprints: [],
    waiting: false,
    flagged: false,
    wake: undefined,
    interrupt: undefined,
    done: Promise.resolve(),
  }))

  const crashAt = (step: CrashStep, printerId: string, ticketId: string) => {
    if (crashed) throw new Crashed('crashed')
    try {
      options.crash?.(step, { printerId, ticketId })
    } catch {
      die()
      throw new Crashed(`crash injected at ${step}`)
    }
  }

  /** What an injected crash does: everything stops at once, nothing more is written. */
  const die = () => {
    crashed = true
    stopped = true
    ledger.close()
    lock.release() // as the death of the process would (its pid no longer runs)
    for (const w of workers) {
      w.wake?.()
      w.interrupt?.()
    }
    log.error('crash injected: bridge stopped')
  }

  const notify = () => {
    if (notifyScheduled) return
    notifyScheduled = true
    queueMicrotask(() => {
      notifyScheduled = false
      if (statusListeners.size > 0) {
        const s = status()
        for (const l of statusListeners) l(s)
      }
      if (idleWaiters.size > 0 && isIdle()) {
        for (const w of [...idleWaiters]) w()
        idleWaiters.clear()
      }
    })
  }

  const wakeAll = () => {
    for (const w of workers) w.wake?.()
    notify()
  }

  const printerInfo = (id: string) => source.store()?.printers[id]

  const printedBy = (order: OrderData, printerId: string, ticketId: string) =>
    Object.values(order.prints).some((r) => r.ticketId === ticketId && r.printerId === printerId)

  const planFor = (w: Worker) => {
    const info = printerInfo(w.id)
    const stations = new Set(info?.stations ?? [])
    const orders = source.orders()
    const byUrl = new Map(orders.map((o) => [o.url, o.order]))
    return planPrinter(orders, stations, (ticket, url) => {
      if (ledger.get(w.id, ticket.id)) return true
      const order = byUrl.get(url)
      return order !== undefined && printedBy(order, w.id, ticket.id)
    })
  }

  const ticketOf = (orderUrl: string, ticketId: string): Ticket | undefined =>
    source.order(orderUrl)?.tickets[ticketId]

  /** Writes unrecorded outcomes into their orders, one at a time, until none is left. */
  const recordOutcomes = async () => {
    if (recording) {
      recordAgain = true
      return
    }
    recording = true
    try {
      do {
        recordAgain = false
        for (const e of ledger.entries()) {
          for (const u of e.unrecorded) {
            if (stopped) return
            if (!ticketOf(e.orderUrl, e.ticketId)) continue // order not loaded yet: next change
            await source.recordPrint(e.orderUrl, {
              ticketId: e.ticketId,
              printerId: e.printerId,
              outcome: u.outcome,
            })
            if (stopped) return
            ledger.recorded(e.printerId, e.ticketId, u.job, u.outcome)
            log.debug(
              { printerId: e.printerId, ticketId: e.ticketId, outcome: u.outcome },
              'recorded',
            )
          }
        }
      } while (recordAgain && !stopped)
    } catch (e) {
      if (!stopped)
        log.warn({ err: e }, 'could not record print outcome; will retry on next change')
    } finally {
      recording = false
      notify()
    }
  }
  const kickRecorder = () => {
    recordOutcomes().catch((e: unknown) => log.error({ err: e }, 'recorder failed'))
  }

  const recordable = () =>
    ledger.entries().some((e) => e.unrecorded.length > 0 && ticketOf(e.orderUrl, e.ticketId))

  const isIdle = () =>
    stopped ||
    (source.store() !== undefined &&
      source.loading() === 0 &&
      !recording &&
      !recordable() &&
      workers.every((w) => w.waiting && w.reprints.length === 0 && nextJob(w) === undefined))

  type Job =
    | { kind: 'print'; orderUrl: string; ticket: Ticket; quantities: Record<string, number> }
    | { kind: 'reprint'; entry: LedgerEntry; ticket: Ticket }

  /** Settles duplicates (no printer needed) and returns the next thing to send, if any. */
  const nextJob = (w: Worker, settle = false): Job | undefined => {
    if (!source.store()) return undefined
    for (const ticketId of w.reprints) {
      const entry = ledger.get(w.id, ticketId)
      const ticket = entry && ticketOf(entry.orderUrl, ticketId)
      if (entry && ticket) return { kind: 'reprint', entry, ticket }
    }
    const plan = planFor(w)
    for (const q of plan.queue) {
      const quantities = uncovered(plan.coverage, q.ticket)
      if (!isNothing(quantities)) return { kind: 'print', ...q, quantities }
      if (!settle) return { kind: 'print', ...q, quantities } // a duplicate still to settle
      ledger.duplicate(w.id, q.ticket.id, q.orderUrl)
      log.info(
        { printerId: w.id, ticketId: q.ticket.id, orderUrl: q.orderUrl },
        'duplicate ticket: every unit already printed, not printing',
      )
      kickRecorder()
    }
    return undefined
  }

  const send = async (w: Worker, job: Job) => {
    const reprint = job.kind === 'reprint'
    const ticket = job.ticket
    const orderUrl = reprint ? job.entry.orderUrl : job.orderUrl
    const quantities = reprint ? reprintQuantities(job.entry, ticket) : job.quantities
    const bytes = renderTicket(
      { ticket, quantities, reprint, store: source.store(), printedAt: now() },
      {
        ...options.render,
        ...(w.endpoint.columns ? { columns: w.endpoint.columns } : {}),
        // What this printer can print, from the store document: a change applies to the next ticket.
        charset: printerInfo(w.id)?.charset ?? options.render?.charset,
      },
    )
    let jobId: string | undefined
    w.state = PrinterState.printing
    notify()
    try {
      await sendToPrinter(w.endpoint, bytes, {
        ...(options.connectTimeoutMs !== undefined
          ? { connectTimeoutMs: options.connectTimeoutMs }
          : {}),
        ...(options.statusTimeoutMs !== undefined
          ? { statusTimeoutMs: options.statusTimeoutMs }
          : {}),
        ...(options.writeTimeoutMs !== undefined ? { writeTimeoutMs: options.writeTimeoutMs } : {}),
        beforeBytes: () => {
          if (stopped) throw new PrinterError(PrinterErrorKind.stopped, 'bridge stopped')
          jobId = ledger.beginSend({
            printerId: w.id,
            ticketId: ticket.id,
            orderUrl,
            quantities,
            reprint,
          })
          crashAt(CrashStep.afterLedger, w.id, ticket.id)
        },
        midSend: () => crashAt(CrashStep.duringSend, w.id, ticket.id),
      })
    } catch (e) {
      // Any failure once SENDING is on disk may have let bytes out: the ticket waits for staff.
      if (jobId && !stopped && !(e instanceof Crashed)) {
        markUncertain(w, ticket.id, orderUrl, jobId, e)
      }
      throw e
    }
    crashAt(CrashStep.afterSend, w.id, ticket.id)
    if (!jobId) throw new Error('sent without a ledger job')
    try {
      ledger.printed(w.id, ticket.id, jobId)
    } catch (e) {
      if (!stopped) markUncertain(w, ticket.id, orderUrl, jobId, e)
      throw e
    }
    w.lastPrintedAt = now()
    log.info({ printerId: w.id, ticketId: ticket.id, orderUrl, reprint }, 'printed')
    crashAt(CrashStep.afterPrinted, w.id, ticket.id)
    kickRecorder()
  }

  const markUncertain = (
    w: Worker,
    ticketId: string,
    orderUrl: string,
    job: string,
    e: unknown,
  ) => {
    w.flagged = true
    const reason = e instanceof Error ? e.message : String(e)
    try {
      ledger.uncertain(w.id, ticketId, job, reason)
    } catch (err) {
      log.error({ err, printerId: w.id, ticketId }, 'could not write to the ledger')
    }
    log.error(
      { printerId: w.id, ticketId, orderUrl, err: reason },
      'ticket may not have printed: staff must confirm or reprint',
    )
  }

  const sleep = (w: Worker, ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        w.interrupt = undefined
        resolve()
      }
      w.interrupt = done
    })

  const loop = async (w: Worker) => {
    while (!stopped) {
      const job = nextJob(w, true)
      if (!job) {
        w.state = printerInfo(w.id) || !source.store() ? idleState(w) : PrinterState.unconfigured
        w.waiting = true
        notify()
        await new Promise<void>((resolve) => {
          w.wake = () => {
            w.wake = undefined
            resolve()
          }
        })
        w.waiting = false
        continue
      }
      w.flagged = false
      try {
        await send(w, job)
        if (job.kind === 'reprint') w.reprints = w.reprints.filter((t) => t !== job.ticket.id)
        w.failures = 0
        w.nextRetryAt = null
        w.state = PrinterState.ready
        notify()
      } catch (e) {
        if (e instanceof Crashed || stopped) return
        const message = e instanceof Error ? e.message : String(e)
        w.lastError = message
        w.lastErrorAt = now()
        if (w.flagged) {
          // Not resent: it waits for staff. The printer may be fine; go on with the next ticket.
          if (job.kind === 'reprint') w.reprints = w.reprints.filter((t) => t !== job.ticket.id)
          w.state = PrinterState.error
        } else {
          w.state = stateOf(e)
        }
        w.failures++
        const delay = backoffDelay(w.failures - 1, { initialMs, maxMs, jitter: 0 })
        w.nextRetryAt = now() + delay
        log.warn({ printerId: w.id, err: message, retryInMs: delay }, 'printer failed; will retry')
        notify()
        await sleep(w, delay)
      }
    }
  }

  const unsubscribe = source.onChange(() => {
    kickRecorder()
    wakeAll()
  })
  for (const w of workers) {
    w.done = loop(w).catch((e: unknown) => {
      if (!(e instanceof Crashed)) log.error({ err: e, printerId: w.id }, 'printer loop failed')
    })
  }
  kickRecorder()

  const view = (orderUrl: string, ticketId: string, quantities?: Record<string, number>) => {
    const ticket = ticketOf(orderUrl, ticketId)
    return ticketView(orderUrl, ticketId, ticket, quantities)
  }

  function status(): BridgeStatus {
    const entries = ledger.entries()
    const printers: PrinterStatus[] = workers.map((w) => {
      const info = printerInfo(w.id)
      const plan = source.store() ? planFor(w) : { queue: [] }
      return {
        id: w.id,
        name: info?.name ?? w.id,
        url: w.url,
        stations: info?.stations ?? [],
        state: w.state,
        lastError: w.lastError,
        lastErrorAt: w.lastErrorAt,
        consecutiveFailures: w.failures,
        nextRetryAt: w.nextRetryAt,
        lastPrintedAt: w.lastPrintedAt,
        queue: plan.queue.map((q) => ticketView(q.orderUrl, q.ticket.id, q.ticket)),
        reprints: [...w.reprints],
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
      at: now(),
      storeLoaded: source.store() !== undefined,
      printers,
      needsConfirmation,
      unrecorded: entries.reduce((n, e) => n + e.unrecorded.length, 0),
    }
  }

  const entriesFor = (ticketId: string, printerId: string | undefined) => {
    const found = workers
      .filter((w) => printerId === undefined || w.id === printerId)
      .map((w) => ({ w, entry: ledger.get(w.id, ticketId) }))
      .filter((x): x is { w: Worker; entry: LedgerEntry } => x.entry !== undefined)
    if (found.length === 0) {
      throw new PrinterError(
        PrinterErrorKind.notFound,
        `ticket ${ticketId} was never sent to ${printerId ?? 'these printers'}`,
        { ticketId },
      )
    }
    return found
  }

  return {
    ledgerFile: ledger.file,
    get crashed() {
      return crashed
    },
    status,
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
    reprint(ticketId, printerId) {
      const found = entriesFor(ticketId, printerId)
      for (const { w } of found) {
        if (!w.reprints.includes(ticketId)) w.reprints.push(ticketId)
        log.info({ printerId: w.id, ticketId }, 'reprint requested')
        w.wake?.()
      }
      notify()
      return found.map(({ w }) => w.id)
    },
    confirm(ticketId, printerId) {
      const found = entriesFor(ticketId, printerId).filter(
        ({ entry }) => entry.state === 'sending' && entry.uncertain,
      )
      if (found.length === 0) {
        throw new PrinterError(
          PrinterErrorKind.notFound,
          `ticket ${ticketId} needs no confirmation`,
        )
      }
      for (const { w } of found) {
        ledger.confirm(w.id, ticketId)
        log.info({ printerId: w.id, ticketId }, 'staff confirmed the ticket printed')
      }
      kickRecorder()
      notify()
      return found.map(({ w }) => w.id)
    },
    whenIdle() {
      if (isIdle()) return Promise.resolve()
      return new Promise<void>((resolve) => {
        idleWaiters.add(resolve)
        notify()
      })
    },
    async stop() {
      if (stopped && !crashed) return
      stopped = true
      unsubscribe()
      for (const w of workers) {
        w.wake?.()
        w.interrupt?.()
      }
      await Promise.all(workers.map((w) => w.done))
      if (!crashed) {
        ledger.close()
        lock.release()
      }
      for (const w of [...idleWaiters]) w()
      idleWaiters.clear()
    },
  }
}

function idleState(w: Worker): PrinterState {
  return w.state === PrinterState.error ? PrinterState.error : PrinterState.ready
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
