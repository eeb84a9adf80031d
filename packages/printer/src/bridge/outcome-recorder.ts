import type { Logger } from 'pino'
import type { PrintLedger } from '../ledger/print-ledger.js'
import type { TicketSource } from '../source/ticket-source.js'
import type { BridgeLife } from './bridge-life.js'

/** Options of {@link createOutcomeRecorder}. */
export interface OutcomeRecorderOptions {
  readonly source: TicketSource
  readonly ledger: PrintLedger
  readonly life: BridgeLife
  readonly log: Logger
  /** Called after each pass (the bridge's status and idleness may have changed). */
  readonly changed: () => void
}

/** Writes print outcomes from the ledger into their order documents. */
export interface OutcomeRecorder {
  /** Starts a pass now, or one more after the pass in progress (new outcome, new document). */
  kick(): void
  /** True while a pass runs or an outcome could be written now: the bridge is not idle. */
  busy(): boolean
}

/**
 * The one writer of print outcomes into orders. Each outcome the ledger lists as unrecorded is
 * written with the source's `recordPrint`, then noted `recorded` in the ledger, one at a time:
 * so after a crash between the two, the restarted bridge writes it again (idempotent for
 * `printed` and `duplicate`, see README "Limits"), and never writes one the ledger settled.
 * An order not loaded yet is skipped: the next change of the source starts a new pass.
 */
export function createOutcomeRecorder(options: OutcomeRecorderOptions): OutcomeRecorder {
  const { source, ledger, life, log } = options
  let recording = false
  let again = false

  const loaded = (orderUrl: string, ticketId: string) =>
    source.order(orderUrl)?.tickets[ticketId] !== undefined

  const pass = async () => {
    if (recording) {
      again = true
      return
    }
    recording = true
    try {
      do {
        again = false
        for (const e of ledger.entries()) {
          for (const u of e.unrecorded) {
            if (life.stopped) return
            if (!loaded(e.orderUrl, e.ticketId)) continue // order not loaded yet: next change
            await source.recordPrint(e.orderUrl, {
              ticketId: e.ticketId,
              printerId: e.printerId,
              outcome: u.outcome,
            })
            if (life.stopped) return
            ledger.recorded(e.printerId, e.ticketId, u.job, u.outcome)
            log.debug(
              { printerId: e.printerId, ticketId: e.ticketId, outcome: u.outcome },
              'recorded',
            )
          }
        }
      } while (again && !life.stopped)
    } catch (e) {
      if (!life.stopped)
        log.warn({ err: e }, 'could not record print outcome; will retry on next change')
    } finally {
      recording = false
      options.changed()
    }
  }

  return {
    kick() {
      pass().catch((e: unknown) => log.error({ err: e }, 'recorder failed'))
    },
    busy() {
      return (
        recording ||
        ledger.entries().some((e) => e.unrecorded.length > 0 && loaded(e.orderUrl, e.ticketId))
      )
    },
  }
}
