import type { Hlc } from '../clock/hlc.js'
import type { CounterNumber, Encoded } from './encoding.js'
import { asCounter, decode, encode } from './encoding.js'
import { CURRENT_SCHEMA } from './version.js'
import { schemaOf } from './migrations.js'

/*
 * An order (one check) is a set of append-only entry maps keyed by a device-generated UUIDv7.
 * Nothing is ever deleted or overwritten: a correction is a new entry (void, refund, reopen).
 * Keyed maps, not lists, so re-delivering an entry cannot double it. Every entry carries `at`
 * (hybrid clock) and `by` (device id); views order entries by (at, id), identically everywhere.
 */

/** Largest quantity of one line; a bigger order is a typo, not a dinner. */
export const MAX_QUANTITY = 999

/** Who and when, on every entry. */
export interface Stamp {
  readonly at: Hlc
  readonly by: string
}

/** A modifier chosen on a line, with the name and price as they were when it was added. */
export interface LineModifier {
  readonly groupId: string
  readonly optionId: string
  readonly name: string
  readonly price: number
}

/** An order line: a snapshot of the menu item at the time it was added, plus a counter quantity. */
export interface Line extends Stamp {
  readonly id: string
  readonly itemId: string
  readonly name: string
  readonly categoryId: string
  readonly station: string
  /** Unit price in minor units, before modifiers. */
  readonly unitPrice: number
  readonly modifiers: readonly LineModifier[]
  readonly taxRateId: string
  readonly taxBasisPoints: number
  readonly taxInclusive: boolean
  /** Concurrent changes add up. */
  readonly quantity: CounterNumber
  /** Seat number (1..), or null for the table. */
  readonly seat: number | null
  readonly course: number
  readonly note: string
}

export interface VoidEntry extends Stamp {
  readonly id: string
  readonly lineId: string
  readonly reason: string
}

export const AdjustmentKind = { discount: 'discount', comp: 'comp' } as const
export type AdjustmentKind = (typeof AdjustmentKind)[keyof typeof AdjustmentKind]

/** A discount or comp, on one line or on the whole check; exactly one of percent/amount is set. */
export interface Adjustment extends Stamp {
  readonly id: string
  readonly kind: AdjustmentKind
  readonly lineId: string | null
  readonly percentBasisPoints: number | null
  readonly amount: number | null
  readonly reason: string
}

/** What the kitchen must cook (or stop cooking) for one line, as it was when fired. */
export interface TicketItem {
  readonly lineId: string
  readonly name: string
  readonly quantity: number
  /** Quantity of the line already fired before this ticket, as the firing device saw it. */
  readonly fromQuantity: number
  readonly modifiers: readonly string[]
  readonly note: string
  readonly seat: number | null
  readonly course: number
}

export const TicketKind = { fire: 'fire', void: 'void' } as const
export type TicketKind = (typeof TicketKind)[keyof typeof TicketKind]

/** A kitchen ticket for one station. */
export interface Ticket extends Stamp {
  readonly id: string
  readonly kind: TicketKind
  readonly station: string
  readonly tableLabel: string
  readonly items: readonly TicketItem[]
}

export const PrintOutcome = {
  printed: 'printed',
  duplicate: 'duplicate',
  reprinted: 'reprinted',
} as const
export type PrintOutcome = (typeof PrintOutcome)[keyof typeof PrintOutcome]

/** Recorded by the print bridge after a printer accepted a ticket (or skipped a duplicate). */
export interface PrintRecord extends Stamp {
  readonly id: string
  readonly ticketId: string
  readonly printerId: string
  readonly outcome: PrintOutcome
}

/** The kitchen marked a ticket done. */
export interface Bump extends Stamp {
  readonly id: string
  readonly ticketId: string
}

/** Hold or release a course; the latest entry per course decides. */
export interface CourseHold extends Stamp {
  readonly id: string
  readonly course: number
  readonly held: boolean
}

export const SplitMode = { none: 'none', seat: 'seat', item: 'item', even: 'even' } as const
export type SplitMode = (typeof SplitMode)[keyof typeof SplitMode]

/** How the check is split; the latest plan decides. */
export interface SplitPlan extends Stamp {
  readonly id: string
  readonly mode: SplitMode
  /** For 'even': the number of parts. For 'item': the number of checks. */
  readonly parts: number
  /** For 'item': line id -> check number (1..parts). */
  readonly assignments: Readonly<Record<string, number>>
}

export const Tender = { cash: 'cash', card: 'card', other: 'other' } as const
export type Tender = (typeof Tender)[keyof typeof Tender]

/** A payment. Its id is the caller's idempotency key, so a retried payment is the same entry. */
export interface Payment extends Stamp {
  readonly id: string
  readonly tender: Tender
  /** Split check it pays (1..), or 0 for the whole order. */
  readonly check: number
  /** Applied to the check, minor units. */
  readonly amount: number
  readonly tip: number
  /** Cash handed over (0 for card). */
  readonly tendered: number
  /** Change given back. */
  readonly change: number
}

export interface Refund extends Stamp {
  readonly id: string
  readonly paymentId: string
  readonly amount: number
  readonly reason: string
}

export interface CloseEvent extends Stamp {
  readonly id: string
}

export interface ReopenEvent extends Stamp {
  readonly id: string
  readonly reason: string
}

export interface MoveEvent extends Stamp {
  readonly id: string
  readonly fromTableId: string
  readonly toTableId: string
}

/** Staff reviewed a conflict and accepted it as it is. */
export interface Resolution extends Stamp {
  readonly id: string
  readonly conflictId: string
  readonly note: string
}

/** Which way a transfer entry points: lines and money left this order, or arrived in it. */
export const TransferDirection = { out: 'out', in: 'in' } as const
export type TransferDirection = (typeof TransferDirection)[keyof typeof TransferDirection]

/**
 * Lines, adjustments and payments moved between two checks (combine checks, move lines). The
 * same transfer is recorded on both documents: `out` on the source (what left, and each moved
 * line's quantity as the moving device saw it), `in` on the target, whose entry maps also get
 * copies of the moved entries under their original ids. An entry belongs to the order whose
 * latest transfer entry naming it is `in` (or that created it and never moved it), so every
 * view counts each thing in exactly one order. Order schema 2 (a schema 1 order gets the map from
 * the deterministic migration in `schema/migrations.ts`).
 */
export interface Transfer extends Stamp {
  readonly id: string
  readonly direction: TransferDirection
  /** The other order of the transfer. */
  readonly orderId: string
  readonly lineIds: readonly string[]
  readonly adjustmentIds: readonly string[]
  readonly paymentIds: readonly string[]
  readonly refundIds: readonly string[]
  readonly voidIds: readonly string[]
  readonly ticketIds: readonly string[]
  /** For `out`: each moved line's quantity counter as the moving device saw it. */
  readonly quantities: Readonly<Record<string, number>>
}

/** An empty check cancelled (opened by mistake): it leaves the floor and reports as cancelled. */
export interface CancelEvent extends Stamp {
  readonly id: string
  readonly reason: string
}

/** One check, as plain data (decoded from its document). */
export interface OrderData {
  readonly schema: number
  readonly kind: 'order'
  readonly storeId: string
  readonly orderId: string
  readonly openedAt: Hlc
  readonly openedBy: string
  readonly businessDate: string
  /** Current table: descriptive, last writer wins, concurrent moves are surfaced. */
  readonly tableId: string
  /** Descriptive, last writer wins, concurrent edits are surfaced. */
  readonly note: string
  readonly guests: CounterNumber
  readonly lines: Readonly<Record<string, Line>>
  readonly voids: Readonly<Record<string, VoidEntry>>
  readonly adjustments: Readonly<Record<string, Adjustment>>
  readonly tickets: Readonly<Record<string, Ticket>>
  readonly prints: Readonly<Record<string, PrintRecord>>
  readonly bumps: Readonly<Record<string, Bump>>
  readonly holds: Readonly<Record<string, CourseHold>>
  readonly splits: Readonly<Record<string, SplitPlan>>
  readonly payments: Readonly<Record<string, Payment>>
  readonly refunds: Readonly<Record<string, Refund>>
  readonly closes: Readonly<Record<string, CloseEvent>>
  readonly reopens: Readonly<Record<string, ReopenEvent>>
  readonly moves: Readonly<Record<string, MoveEvent>>
  readonly resolutions: Readonly<Record<string, Resolution>>
  /** Added after schema 1 documents existed: {} when read from an older document. */
  readonly transfers: Readonly<Record<string, Transfer>>
  /** Added after schema 1 documents existed: {} when read from an older document. */
  readonly cancels: Readonly<Record<string, CancelEvent>>
}

/** The entry maps of an order, every one append-only. */
export const ENTRY_MAPS = [
  'lines',
  'voids',
  'adjustments',
  'tickets',
  'prints',
  'bumps',
  'holds',
  'splits',
  'payments',
  'refunds',
  'closes',
  'reopens',
  'moves',
  'resolutions',
  'transfers',
  'cancels',
] as const satisfies readonly (keyof OrderData)[]

/** The name of one of an order's entry maps. */
export type EntryMapName = (typeof ENTRY_MAPS)[number]

/** An entry of the named map, as plain data. */
export type EntryOf<K extends EntryMapName> = OrderData[K][string]

/** An entry as stored: its id is the map key, not repeated inside (ids are most of the bytes). */
export type StoredEntry<E> = Encoded<Omit<E, 'id'>>

/**
 * The order document as stored in Automerge. Read it as plain data with `readOrder(doc)`,
 * which also puts each entry's id back from its key.
 */
export type OrderDoc = Encoded<Omit<OrderData, EntryMapName>> & {
  readonly [K in EntryMapName]: Readonly<Record<string, StoredEntry<EntryOf<K>>>>
}

export interface OrderInit {
  readonly storeId: string
  readonly orderId: string
  readonly tableId: string
  readonly openedAt: Hlc
  readonly openedBy: string
  readonly businessDate: string
  readonly guests?: number
}

/** The initial content of an order document. Use `openOrder` to get one with ids and stamps. */
export function initOrderDoc(init: OrderInit): OrderDoc {
  return encode<OrderData>({
    schema: CURRENT_SCHEMA.order,
    kind: 'order',
    storeId: init.storeId,
    orderId: init.orderId,
    tableId: init.tableId,
    openedAt: init.openedAt,
    openedBy: init.openedBy,
    businessDate: init.businessDate,
    note: '',
    guests: asCounter(init.guests ?? 0),
    lines: {},
    voids: {},
    adjustments: {},
    tickets: {},
    prints: {},
    bumps: {},
    holds: {},
    splits: {},
    payments: {},
    refunds: {},
    closes: {},
    reopens: {},
    moves: {},
    resolutions: {},
    transfers: {},
    cancels: {},
  }) as OrderDoc
}

/** An order document as plain data, every entry with its `id`. */
export function readOrder(doc: OrderDoc): OrderData {
  const order = decode<Record<string, unknown>>(doc as unknown as Encoded<Record<string, unknown>>)
  // Maps added after schema 1 (transfers, cancels) are missing from older documents.
  for (const map of ENTRY_MAPS) withIds((order[map] ??= {}))
  // A migration's schema write is concurrent with creation: the highest value is the schema.
  order['schema'] = schemaOf(doc)
  return order as unknown as OrderData
}

/** One entry map of an order document as plain data, every entry with its `id`. */
export function readEntries<E extends { readonly id: string }>(
  map: Readonly<Record<string, StoredEntry<E>>>,
): Record<string, E> {
  return withIds(
    decode<Record<string, unknown>>(map as unknown as Encoded<Record<string, unknown>>),
  ) as Record<string, E>
}

function withIds(entries: unknown): unknown {
  for (const [id, entry] of Object.entries(entries as Record<string, Record<string, unknown>>))
    entry['id'] = id
  return entries
}
