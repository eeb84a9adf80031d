import type { Encoded } from './encoding.js'
import { encode } from './encoding.js'
import { LEGACY_TABLE_SCHEMA } from './version.js'
import type { Hlc } from '../clock/hlc.js'

/** A reference to an order opened on a table. Appended, never removed. */
export interface OrderRef {
  readonly orderId: string
  readonly url: string
  readonly businessDate: string
  readonly openedAt: Hlc
  readonly openedBy: string
}

/** One per table (bar seats and takeaway too): the append-only list of orders opened on it. */
export interface TableData {
  readonly schema: number
  readonly kind: 'table'
  readonly storeId: string
  readonly tableId: string
  readonly orders: Readonly<Record<string, OrderRef>>
  /**
   * The order ids of each business day (the references stay in `orders`), and the open/closed
   * hint per order id: the table
   * index (see `table-index.ts`). Absent until a device of this version writes to the table.
   */
  readonly days?: Readonly<Record<string, Readonly<Record<string, true>>>>
  readonly hints?: Readonly<Record<string, 'open' | 'closed'>>
}

export type TableDoc = Encoded<TableData>

/**
 * The initial content of a table document, at schema 1 (which devices of every version write
 * into); a store keeping table-day documents raises it with `retireTable`.
 */
export function initTableDoc(storeId: string, tableId: string): TableDoc {
  return encode<TableData>({
    schema: LEGACY_TABLE_SCHEMA,
    kind: 'table',
    storeId,
    tableId,
    orders: {},
  })
}
