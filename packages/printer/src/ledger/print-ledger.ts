import * as fs from 'node:fs'
import * as path from 'node:path'
import { randomUUID } from 'node:crypto'
import type { PrintOutcome } from '@tabsync/core'
import { openJournal, type Journal } from './journal.js'
import { parseLedgerRecord, type LedgerRecord } from './ledger-record.js'

/** Where a ticket stands on one printer, folded from its ledger lines. */
export const LedgerState = {
  /** Bytes are going (or went) out; with `uncertain` they may or may not have printed. */
  sending: 'sending',
  printed: 'printed',
  duplicate: 'duplicate',
} as const
export type LedgerState = (typeof LedgerState)[keyof typeof LedgerState]

/** An outcome the order document has not been told about yet. */
export interface UnrecordedOutcome {
  readonly job: string
  readonly outcome: PrintOutcome
}

/** What the ledger knows about one ticket on one printer. */
export interface LedgerEntry {
  readonly printerId: string
  readonly ticketId: string
  readonly orderUrl: string
  readonly state: LedgerState
  /**
   * Only in state `sending`: the send was interrupted (a crash, or a failure after bytes may have
   * left). The ticket may or may not have printed: staff must confirm or ask for a reprint.
   */
  readonly uncertain: boolean
  readonly uncertainReason: string | undefined
  /** Units per line id of the first print (reprints print the same). */
  readonly quantities: Readonly<Record<string, number>>
  /** The last job (print attempt) on this ticket. */
  readonly job: string
  /** The last job was a reprint. */
  readonly reprint: boolean
  readonly reprints: number
  /** Epoch ms of the last transition. */
  readonly since: number
  readonly printedAt: number | undefined
  readonly unrecorded: readonly UnrecordedOutcome[]
}

type MutableEntry = { -readonly [K in keyof LedgerEntry]: LedgerEntry[K] } & {
  unrecorded: UnrecordedOutcome[]
}

/** Why a ticket in `sending` is uncertain after a restart. */
export const INTERRUPTED = 'interrupted: the bridge stopped while sending'

const key = (printerId: string, ticketId: string) => `${printerId}\u0000${ticketId}`

/** Options of {@link openPrintLedger}. */
export interface PrintLedgerOptions {
  /** Wall clock for the `at` of records (tests). */
  readonly now?: () => number
  /**
   * Settled entries (printed or duplicate, all recorded, not touched since) older than this are
   * dropped when the ledger is opened and the file is rewritten. Default 3 days: the bridge
   * watches two business days, and the order documents keep the print records anyway.
   */
  readonly retainMs?: number
}

/**
 * The bridge's durable memory of what it sent to which printer, over an fsync'd append-only
 * {@link Journal}. Every transition is on disk before the method returns: `beginSend` returns
 * only when SENDING is durable, so no byte can leave without it.
 */
export interface PrintLedger {
  readonly file: string
  get(printerId: string, ticketId: string): LedgerEntry | undefined
  entries(): LedgerEntry[]
  /** Commits SENDING for a new job and returns its id. Call before the first ticket byte. */
  beginSend(input: {
    printerId: string
    ticketId: string
    orderUrl: string
    quantities: Record<string, number>
    reprint: boolean
  }): string
  /** The printer accepted every byte of `job`. */
  printed(printerId: string, ticketId: string, job: string): void
  /** The send of `job` failed after bytes may have left. */
  uncertain(printerId: string, ticketId: string, job: string, reason: string): void
  /** Nothing of this ticket needs printing: an earlier ticket printed every unit. */
  duplicate(printerId: string, ticketId: string, orderUrl: string): void
  /** Staff confirmed an uncertain ticket did print. */
  confirm(printerId: string, ticketId: string): void
  /** The order document now has the outcome of `job`. */
  recorded(printerId: string, ticketId: string, job: string, outcome: PrintOutcome): void
  close(): void
}

/**
 * Opens the ledger `print-ledger.jsonl` in `dataDir`, replaying it. Entries found in SENDING come
 * back `uncertain`: bytes may have left before the crash, so they are never resent automatically.
 */
export function openPrintLedger(dataDir: string, options: PrintLedgerOptions = {}): PrintLedger {
  const now = options.now ?? Date.now
  const file = path.join(dataDir, 'print-ledger.jsonl')
  let opened = openJournal(file, parseLedgerRecord)
  const entries = new Map<string, MutableEntry>()
  for (const record of opened.records) apply(entries, record)
  for (const e of entries.values()) {
    if (e.state === 'sending' && !e.uncertain) {
      e.uncertain = true
      e.uncertainReason = INTERRUPTED
    }
  }
  const retainMs = options.retainMs ?? 3 * 24 * 3_600_000
  const stale = [...entries.values()].filter(
    (e) => e.state !== 'sending' && e.unrecorded.length === 0 && now() - e.since > retainMs,
  )
  if (stale.length > 0) {
    opened.journal.close()
    for (const e of stale) entries.delete(key(e.printerId, e.ticketId))
    const kept = new Set(entries.keys())
    compact(
      file,
      opened.records.filter((r) => kept.has(key(r.printer, r.ticket))),
    )
    opened = openJournal(file, parseLedgerRecord)
  }
  const journal: Journal<LedgerRecord> = opened.journal

  const write = (record: LedgerRecord) => {
    journal.append(record)
    apply(entries, record)
  }
  /**
   * For `uncertain` only: staff must see the ticket even if the disk refuses the line. Nothing is
   * lost by keeping it in memory alone: a `sending` entry is uncertain after a restart anyway.
   */
  const writeOrRemember = (record: LedgerRecord) => {
    try {
      journal.append(record)
    } finally {
      apply(entries, record)
    }
  }
  const freeze = (e: MutableEntry): LedgerEntry => ({ ...e, unrecorded: [...e.unrecorded] })

  return {
    file,
    get(printerId, ticketId) {
      const e = entries.get(key(printerId, ticketId))
      return e && freeze(e)
    },
    entries() {
      return [...entries.values()].map(freeze)
    },
    beginSend(input) {
      const job = randomUUID()
      write({
        v: 1,
        type: 'sending',
        printer: input.printerId,
        ticket: input.ticketId,
        order: input.orderUrl,
        job,
        reprint: input.reprint,
        quantities: input.quantities,
        at: now(),
      })
      return job
    },
    printed(printerId, ticketId, job) {
      write({ v: 1, type: 'printed', printer: printerId, ticket: ticketId, job, at: now() })
    },
    uncertain(printerId, ticketId, job, reason) {
      writeOrRemember({
        v: 1,
        type: 'uncertain',
        printer: printerId,
        ticket: ticketId,
        job,
        reason,
        at: now(),
      })
    },
    duplicate(printerId, ticketId, orderUrl) {
      const job = `duplicate-${ticketId}`
      write({
        v: 1,
        type: 'duplicate',
        printer: printerId,
        ticket: ticketId,
        order: orderUrl,
        job,
        at: now(),
      })
    },
    confirm(printerId, ticketId) {
      write({
        v: 1,
        type: 'confirmed',
        printer: printerId,
        ticket: ticketId,
        job: randomUUID(),
        at: now(),
      })
    },
    recorded(printerId, ticketId, job, outcome) {
      write({
        v: 1,
        type: 'recorded',
        printer: printerId,
        ticket: ticketId,
        job,
        outcome,
        at: now(),
      })
    },
    close() {
      journal.close()
    },
  }
}

/** Folds one record into the entries: the single definition of the state machine. */
function apply(entries: Map<string, MutableEntry>, r: LedgerRecord): void {
  const k = key(r.printer, r.ticket)
  const e = entries.get(k)
  switch (r.type) {
    case 'sending': {
      const next: MutableEntry = e ?? {
        printerId: r.printer,
        ticketId: r.ticket,
        orderUrl: r.order,
        state: 'sending',
        uncertain: false,
        uncertainReason: undefined,
        quantities: r.quantities,
        job: r.job,
        reprint: r.reprint,
        reprints: 0,
        since: r.at,
        printedAt: undefined,
        unrecorded: [],
      }
      next.state = 'sending'
      next.uncertain = false
      next.uncertainReason = undefined
      next.job = r.job
      next.reprint = r.reprint
      next.since = r.at
      entries.set(k, next)
      return
    }
    case 'duplicate': {
      if (e) return // a ticket that was sent is never turned into a duplicate afterwards
      entries.set(k, {
        printerId: r.printer,
        ticketId: r.ticket,
        orderUrl: r.order,
        state: 'duplicate',
        uncertain: false,
        uncertainReason: undefined,
        quantities: {},
        job: r.job,
        reprint: false,
        reprints: 0,
        since: r.at,
        printedAt: undefined,
        unrecorded: [{ job: r.job, outcome: 'duplicate' }],
      })
      return
    }
    default:
      break
  }
  if (!e) return
  switch (r.type) {
    case 'printed':
      if (e.job !== r.job || e.state !== 'sending') return
      e.state = 'printed'
      e.uncertain = false
      e.uncertainReason = undefined
      e.printedAt = r.at
      e.since = r.at
      if (e.reprint) e.reprints++
      e.unrecorded.push({ job: r.job, outcome: e.reprint ? 'reprinted' : 'printed' })
      return
    case 'uncertain':
      if (e.job !== r.job || e.state !== 'sending') return
      e.uncertain = true
      e.uncertainReason = r.reason
      e.since = r.at
      return
    case 'confirmed':
      if (e.state !== 'sending') return
      e.state = 'printed'
      e.uncertain = false
      e.uncertainReason = undefined
      e.since = r.at
      e.unrecorded.push({ job: r.job, outcome: 'printed' })
      return
    case 'recorded':
      e.unrecorded = e.unrecorded.filter((u) => u.job !== r.job)
      return
  }
}

/** Rewrites the journal with `records` only: temp file, fsync, atomic rename, fsync directory. */
function compact(file: string, records: readonly LedgerRecord[]): void {
  const tmp = `${file}.compact`
  const fd = fs.openSync(tmp, 'w')
  try {
    fs.writeSync(fd, records.map((r) => JSON.stringify(r) + '\n').join(''))
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  try {
    const dir = fs.openSync(path.dirname(file), 'r')
    fs.fsyncSync(dir)
    fs.closeSync(dir)
  } catch {
    // as in journal.ts: not every file system fsyncs directories
  }
}
