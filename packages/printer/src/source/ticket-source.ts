import type { OrderData, PrintOutcome, StoreData } from '@tabsync/core'

/** An order document as the bridge last saw it. */
export interface OrderSnapshot {
  readonly url: string
  readonly order: OrderData
}

/**
 * Everything the bridge needs from the store's documents, and nothing else: the one seam between
 * the bridge and how documents reach it. `createDeviceSource` implements it over a
 * `@tabsync/sync` device. Snapshots are synchronous so the bridge decides what to print from one
 * consistent view.
 */
export interface TicketSource {
  /** This bridge's device id (the `by` of the print records it writes). */
  readonly deviceId: string
  /** The store configuration, once loaded. */
  store(): StoreData | undefined
  /** The orders the bridge watches (the current and previous business day). */
  orders(): readonly OrderSnapshot[]
  /** One order, if loaded (also orders outside the watched days that the ledger mentions). */
  order(url: string): OrderData | undefined
  /**
   * Documents being looked for right now. The bridge is only idle when this is 0 (and the store
   * is loaded): an order still loading may hold tickets.
   */
  loading(): number
  /** Called after any watched document changed (store, tables, orders). */
  onChange(listener: () => void): () => void
  /**
   * Records a print outcome in the order (core's `recordPrint`) and resolves once it is saved
   * locally: terminals then show the ticket as printed.
   */
  recordPrint(
    url: string,
    input: { ticketId: string; printerId: string; outcome: PrintOutcome },
  ): Promise<void>
  close(): Promise<void>
}
