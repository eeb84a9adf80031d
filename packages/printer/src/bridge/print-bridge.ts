import { pino, type Logger } from 'pino'
import { PrinterError, PrinterErrorKind } from '../errors.js'
import type { RenderOptions } from '../escpos/render-ticket.js'
import { acquireDirLock } from '../ledger/dir-lock.js'
import { openPrintLedger, type LedgerEntry, type PrintLedger } from '../ledger/print-ledger.js'
import type { TicketSource } from '../source/ticket-source.js'
import { createBridgeLife, type CrashHook } from './bridge-life.js'
import { projectStatus, type BridgeStatus } from './bridge-status.js'
import { createOutcomeRecorder } from './outcome-recorder.js'
import { createPrinterWorker, type PrinterConfig, type PrinterWorker } from './printer-worker.js'

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
   * Test hook, called at each `CrashStep`. If it throws, the bridge behaves as if the
   * process died right there: it stops at once and writes nothing more (ledger or documents).
   */
  readonly crash?: CrashHook
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

/**
 * Starts a print bridge: for each printer it owns, a worker prints every ticket of the printer's
 * stations exactly once, in order; the outcome recorder writes what happened into the orders;
 * the status is projected from both (see README "Exactly once"). This function only holds the
 * data directory (lock and ledger) and wires the parts together.
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
  const lock = acquireDirLock(options.dataDir)
  let ledger: PrintLedger
  try {
    ledger = openPrintLedger(options.dataDir, { now })
  } catch (e) {
    lock.release()
    throw e
  }
  for (const e of ledger.entries()) {
    if (e.uncertain) {
      log.warn(
        { printerId: e.printerId, ticketId: e.ticketId, orderUrl: e.orderUrl },
        'ticket may not have printed: staff must confirm or reprint',
      )
    }
  }

  const statusListeners = new Set<(s: BridgeStatus) => void>()
  const idleWaiters = new Set<() => void>()
  let notifyScheduled = false
  const workers: PrinterWorker[] = []

  const life = createBridgeLife(options.crash, () => {
    // What the death of the process does: nothing more is written, the lock goes with the pid.
    ledger.close()
    lock.release()
    for (const w of workers) w.interrupt()
    log.error('crash injected: bridge stopped')
  })

  const status = () => projectStatus({ source, ledger, workers, at: now() })

  const recorder = createOutcomeRecorder({ source, ledger, life, log, changed: () => notify() })

  const isIdle = () =>
    life.stopped ||
    (source.store() !== undefined &&
      source.loading() === 0 &&
      !recorder.busy() &&
      workers.every((w) => w.idle()))

  /** Tells status listeners and idle waiters, once per tick however many parts changed. */
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

  const timeouts = {
    ...(options.connectTimeoutMs !== undefined
      ? { connectTimeoutMs: options.connectTimeoutMs }
      : {}),
    ...(options.statusTimeoutMs !== undefined ? { statusTimeoutMs: options.statusTimeoutMs } : {}),
    ...(options.writeTimeoutMs !== undefined ? { writeTimeoutMs: options.writeTimeoutMs } : {}),
  }
  const unsubscribe = source.onChange(() => {
    recorder.kick()
    for (const w of workers) w.wake()
    notify()
  })
  for (const printer of options.printers) {
    workers.push(
      createPrinterWorker({
        printer,
        source,
        ledger,
        life,
        log,
        now,
        retry: {
          initialMs: options.retry?.initialMs ?? 500,
          maxMs: options.retry?.maxMs ?? 30_000,
        },
        timeouts,
        render: options.render,
        changed: notify,
        outcome: () => recorder.kick(),
      }),
    )
  }
  recorder.kick()

  /** The workers that handled a ticket, with its ledger entry; `not-found` when none did. */
  const entriesFor = (ticketId: string, printerId: string | undefined) => {
    const found = workers
      .filter((w) => printerId === undefined || w.id === printerId)
      .map((w) => ({ w, entry: ledger.get(w.id, ticketId) }))
      .filter((x): x is { w: PrinterWorker; entry: LedgerEntry } => x.entry !== undefined)
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
      return life.crashed
    },
    status,
    onStatus(listener) {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
    reprint(ticketId, printerId) {
      const found = entriesFor(ticketId, printerId)
      for (const { w } of found) w.reprint(ticketId)
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
      recorder.kick()
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
      if (life.stopped && !life.crashed) return
      life.stop()
      unsubscribe()
      for (const w of workers) w.interrupt()
      await Promise.all(workers.map((w) => w.done))
      if (!life.crashed) {
        ledger.close()
        lock.release()
      }
      for (const w of [...idleWaiters]) w()
      idleWaiters.clear()
    },
  }
}
