import * as A from '@automerge/automerge'
import { TabsyncError, ErrorKind } from '../errors.js'
import { isId } from '../ids.js'
import { storeBoundIdBytes } from '../store-bound-id.js'
import { decode, encode, text, type Encoded } from './encoding.js'
import { fixedActor } from './migrations.js'
import { sha256 } from './sha256.js'
import type { OrderRef } from './table.js'
import { orderHint, type HintedRef } from './table-index.js'
import { CURRENT_SCHEMA } from './version.js'

/*
 * A table-day document (issue 15): one table's order references of one business day and their
 * open/closed hints, nothing else. A table document holds every reference the table ever had,
 * and a device loads it whole; a table-day stays the size of one service, and a device needs only
 * today's.
 *
 * Nobody hands out its URL: every device computes it from (store, table, date), so a cold device
 * knows today's table-days from the store document alone. The id is store-bound (store-bound-id.ts)
 * with a nonce derived from those three, so the relay binds it to its store on first sight.
 * Devices create it while apart, so its first content is one deterministic change (fixed actor,
 * time 0, no dependencies, as the migrations): two creations are the same change and the merge
 * keeps one root, with every reference either device filed.
 */

/** One table's order references of one business day. Appended, never removed. */
export interface TableDayData {
  readonly schema: number
  readonly kind: 'table-day'
  readonly storeId: string
  readonly tableId: string
  /** Business date YYYY-MM-DD. */
  readonly date: string
  readonly orders: Readonly<Record<string, OrderRef>>
  readonly hints: Readonly<Record<string, 'open' | 'closed'>>
}

export type TableDayDoc = Encoded<TableDayData>

const DATE = /^\d{4}-\d{2}-\d{2}$/
const NONCE_BYTES = 6

function checkKey(storeId: string, tableId: string, date: string): void {
  if (!isId(storeId) || !isId(tableId)) {
    throw new TabsyncError(ErrorKind.invalidInput, 'store or table id is malformed')
  }
  if (!DATE.test(date)) {
    throw new TabsyncError(ErrorKind.invalidInput, `business date ${date} is not YYYY-MM-DD`)
  }
}

/**
 * The 6-byte nonce of a table-day's id: SHA-256 of a string naming its purpose and the three
 * values (JSON, so no two triples give the same string), cut to 6 bytes.
 */
export function tableDayNonce(storeId: string, tableId: string, date: string): Uint8Array {
  checkKey(storeId, tableId, date)
  const input = `tabsync-table-day:v1:${JSON.stringify([storeId, tableId, date])}`
  return sha256(new TextEncoder().encode(input)).slice(0, NONCE_BYTES)
}

/** The 16 id bytes of a table-day document: the same on every device, bound to `storeId`. */
export function tableDayIdBytes(
  storeId: string,
  tableId: string,
  date: string,
): Promise<Uint8Array> {
  return storeBoundIdBytes(storeId, tableDayNonce(storeId, tableId, date))
}

/**
 * The change that creates a table-day document: identical bytes on every device (fixed actor,
 * time 0, built on an empty document). Load it as the document's first content.
 */
export function tableDayChange(storeId: string, tableId: string, date: string): Uint8Array {
  checkKey(storeId, tableId, date)
  const doc = A.change(
    A.init<Record<string, unknown>>({ actor: fixedActor('ts/table-day') }),
    { time: 0, message: 'tabsync table day' },
    (root) => {
      const init = encode<TableDayData>({
        schema: CURRENT_SCHEMA['table-day'],
        kind: 'table-day',
        storeId,
        tableId,
        date,
        orders: {},
        hints: {},
      })
      Object.assign(root, init)
    },
  )
  return A.getLastLocalChange(doc)!
}

/**
 * Files an order reference in its table-day (inside a change). Idempotent (keyed by order id).
 * Returns whether it wrote. A reference of another business day is a typed error: it belongs
 * to that day's document.
 */
export function fileDayRef(day: TableDayDoc, ref: OrderRef): boolean {
  if (!isId(ref.orderId)) throw new TabsyncError(ErrorKind.invalidInput, 'order id is malformed')
  if (ref.businessDate !== text(day.date)) {
    throw new TabsyncError(
      ErrorKind.invalidInput,
      `order of ${ref.businessDate} filed in the table-day of ${text(day.date)}`,
    )
  }
  if (day.orders[ref.orderId] !== undefined) return false
  ;(day.orders as Record<string, unknown>)[ref.orderId] = encode(ref)
  return true
}

/** Every reference of a table-day with its hint (see table-index.ts `orderHint`). */
export function tableDayOrders(day: TableDayDoc): HintedRef[] {
  return Object.keys(day.orders ?? {}).map((id) => ({
    ref: decode<OrderRef>(day.orders[id]!),
    hint: orderHint(day, id),
  }))
}
