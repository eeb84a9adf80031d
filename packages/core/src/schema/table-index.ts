import * as A from '@automerge/automerge'
import { TabsyncError, ErrorKind } from '../errors.js'
import { isId } from '../ids.js'
import { decode, text } from './encoding.js'
import { fixedActor } from './migrations.js'
import type { OrderRef, TableDoc } from './table.js'
import type { TableDayDoc } from './table-day.js'

/*
 * The table index (issue 15): a table document keeps, next to its append-only `orders` map, the
 * order ids of each business day (`days[date][orderId] = true`; the reference itself stays in
 * `orders`, written in the same change) and an open/closed hint per order (`hints[orderId]`). A device reads one day without decoding every reference the table
 * ever had, and opens the checks hinted open first.
 *
 * Not a schema step, on purpose: raising the table schema would make every till of the previous
 * version refuse to open a check on any table a new till touched (`newer-schema`). The index
 * only mirrors `orders` (which new devices keep writing, so old readers see every check) and a
 * hint that no figure depends on: older devices ignore it and keep working. What it shares with
 * the migrations is how its containers are created. Two devices creating `days['2026-12-02']`
 * while apart would each make a map, and the merge would show one and hide the other's refs. So
 * every container is made by a deterministic change (fixed actor, time 0, built on a fixed base):
 * the same bytes, hence the same change, on every device, and merges keep one container.
 */

/** Open/closed hint of one order on its table. The order document stays the truth. */
export const TableHint = { open: 'open', closed: 'closed' } as const
export type TableHint = (typeof TableHint)[keyof typeof TableHint]

/** A reference of a table for a day, with the table's hint about its order. */
export interface HintedRef {
  readonly ref: OrderRef
  /** `open` when any concurrent value says open; undefined when no device wrote one yet. */
  readonly hint: TableHint | undefined
}

type IndexRoot = {
  days?: Record<string, Record<string, unknown>>
  hints?: Record<string, unknown>
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

let indexChangeBytes: Uint8Array | undefined
let indexHash: string | undefined
const dayChanges = new Map<string, Uint8Array>()

/** The change that creates the root `days` and `hints` maps: identical on every device. */
export function tableIndexChange(): Uint8Array {
  if (indexChangeBytes) return indexChangeBytes
  let doc = A.init<IndexRoot>({ actor: fixedActor('ts/table-index') })
  doc = A.change(doc, { time: 0, message: 'tabsync table index' }, (root) => {
    root.days = {}
    root.hints = {}
  })
  indexChangeBytes = A.getLastLocalChange(doc)!
  indexHash = A.getHeads(doc)[0]!
  return indexChangeBytes
}

/** The change that creates `days[date]`: built on the index change, identical on every device. */
export function dayChange(date: string): Uint8Array {
  if (!DATE.test(date)) {
    throw new TabsyncError(ErrorKind.invalidInput, `business date ${date} is not YYYY-MM-DD`)
  }
  const cached = dayChanges.get(date)
  if (cached) return cached
  const [base] = A.applyChanges(
    A.init<IndexRoot>({ actor: fixedActor(`ts/d/${date.replaceAll('-', '')}`) }),
    [tableIndexChange()],
  )
  const doc = A.change(base, { time: 0, message: `tabsync table day ${date}` }, (root) => {
    root.days![date] = {}
  })
  const change = A.getLastLocalChange(doc)!
  dayChanges.set(date, change)
  return change
}

/**
 * Adds the index containers a write for `dates` needs (use it in `handle.update`, before the
 * change that writes into them). Returns the same document when they are all there.
 *
 * @example
 * tableHandle.update((t) => withTableIndex(t, ['2026-12-02']))
 */
export function withTableIndex<T>(doc: A.Doc<T>, dates: readonly string[] = []): A.Doc<T> {
  const root = doc as unknown as IndexRoot
  const changes: Uint8Array[] = []
  // The day changes depend on this one; a document without it gets it first.
  if (root.days === undefined || !A.hasHeads(doc, [indexHashOf()])) {
    changes.push(tableIndexChange())
  }
  for (const date of new Set(dates)) {
    if (root.days?.[date] === undefined) changes.push(dayChange(date))
  }
  if (changes.length === 0) return doc
  return A.applyChanges(doc, changes)[0]
}

function indexHashOf(): string {
  tableIndexChange()
  return indexHash!
}

/**
 * Files an order reference under its business day (inside a change, after
 * {@link withTableIndex} for that day). Idempotent; a table without the day container (written
 * by an older device) is left to the `orders` map alone.
 */
export function indexOrder(table: TableDoc, ref: OrderRef): void {
  const day = (table as unknown as IndexRoot).days?.[ref.businessDate]
  if (!day || day[ref.orderId] !== undefined) return
  // A marker, not a second copy of the reference: `orders` holds it (written in the same change).
  day[ref.orderId] = true
}

/**
 * Writes the open/closed hint of an order (inside a change): in a table-day document, or in a
 * table after {@link withTableIndex}.
 * Nothing is written when the hint already says so. Returns whether it wrote.
 */
export function setOrderHint(
  table: TableDoc | TableDayDoc,
  orderId: string,
  hint: TableHint,
): boolean {
  if (!isId(orderId)) throw new TabsyncError(ErrorKind.invalidInput, 'order id is malformed')
  if (hint !== 'open' && hint !== 'closed') {
    throw new TabsyncError(
      ErrorKind.invalidInput,
      `hint must be open or closed, not ${String(hint)}`,
    )
  }
  const hints = (table as unknown as IndexRoot).hints
  if (!hints) {
    throw new TabsyncError(ErrorKind.invalidInput, 'this table has no index: withTableIndex first')
  }
  // A conflict (two devices wrote at once) is written over: it reads as open meanwhile.
  const current = text(hints[orderId] as A.ImmutableString | undefined)
  if (current === hint && !hasConflict(hints, orderId)) return false
  hints[orderId] = new A.ImmutableString(hint)
  return true
}

function hasConflict(hints: Record<string, unknown>, orderId: string): boolean {
  try {
    return (
      Object.keys(A.getConflicts(hints as A.Doc<Record<string, unknown>>, orderId) ?? {}).length > 1
    )
  } catch {
    return false
  }
}

/**
 * The hint of an order. Two devices that wrote different hints at once leave a conflict: any
 * value saying `open` makes it open, so a concurrent close never hides a check that was used.
 */
export function orderHint(table: TableDoc | TableDayDoc, orderId: string): TableHint | undefined {
  const hints = (table as unknown as IndexRoot).hints
  if (!hints || !Object.hasOwn(hints, orderId)) return undefined
  // getConflicts gives every concurrent value, or nothing when there is one.
  const values = [
    hints[orderId],
    ...(A.isAutomerge(table)
      ? Object.values(A.getConflicts(hints as A.Doc<Record<string, unknown>>, orderId) ?? {})
      : []),
  ]
  const read = values.map((v) => (typeof v === 'string' ? v : text(v as A.ImmutableString)))
  if (read.includes('open')) return 'open'
  return read.includes('closed') ? 'closed' : undefined
}

/**
 * The references of a table for one business day (or 'all'), each with its hint. Reads the
 * day's container, then only what the container cannot hold: references in `orders` written by
 * a device of the previous version (or before the index existed), found by their business date
 * without decoding the rest.
 */
export function tableDayRefs(table: TableDoc, date: string | 'all'): HintedRef[] {
  const root = table as unknown as IndexRoot & { orders: Record<string, unknown> }
  const out: HintedRef[] = []
  const seen = new Set<string>()
  const add = (id: string, encoded: unknown) => {
    if (seen.has(id) || encoded === null || typeof encoded !== 'object') return
    seen.add(id)
    out.push({ ref: decode<OrderRef>(encoded as never), hint: orderHint(table, id) })
  }
  const days = root.days ?? {}
  const dates = date === 'all' ? Object.keys(days) : Object.hasOwn(days, date) ? [date] : []
  const orders = root.orders ?? {}
  for (const d of dates) {
    for (const id of Object.keys(days[d]!)) add(id, orders[id])
  }
  for (const id of Object.keys(orders)) {
    if (seen.has(id)) continue
    const encoded = orders[id] as { businessDate?: A.ImmutableString } | undefined
    if (date === 'all' || text(encoded?.businessDate) === date) add(id, encoded)
  }
  return out
}
