import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import {
  businessDate,
  createHybridClock,
  decode,
  readOrder,
  recordPrint,
  type HybridClock,
  type OrderData,
  type OrderDoc,
  type StoreData,
  type StoreDoc,
  type TableData,
  type TableDoc,
} from '@tabsync/core'
import type { OrderSnapshot, TicketSource } from './ticket-source.js'

/** Options of {@link createRepoSource}. */
export interface RepoSourceOptions {
  readonly repo: Repo
  readonly storeUrl: AutomergeUrl
  readonly deviceId: string
  /** Stamps the print records. Default: a fresh hybrid clock (persist one in production). */
  readonly clock?: HybridClock
  /** Business days watched, today included. Default 2 (a ticket fired before the day rolled). */
  readonly days?: number
  /** Wall clock (epoch ms), for which business days are current. Default: the clock's. */
  readonly now?: () => number
}

/**
 * A {@link TicketSource} over a plain automerge-repo `Repo`: it follows the store document, its
 * table documents and the orders they list for the watched business days.
 */
export function createRepoSource(options: RepoSourceOptions): TicketSource {
  const { repo, deviceId } = options
  const clock = options.clock ?? createHybridClock({ node: deviceId })
  const now = options.now ?? (() => clock.physicalMs())
  const days = options.days ?? 2
  let closed = false
  let store: StoreData | undefined
  const tables = new Map<string, TableData>()
  const orders = new Map<string, { order: OrderData; handle: DocHandle<OrderDoc> }>()
  const tracking = new Set<string>()
  let loading = 0
  const listeners = new Set<() => void>()
  let scheduled = false

  const emit = () => {
    if (scheduled || closed) return
    scheduled = true
    queueMicrotask(() => {
      scheduled = false
      if (closed) return
      for (const l of [...listeners]) l()
    })
  }

  const watchedDates = (): Set<string> => {
    if (!store) return new Set()
    const t = now()
    return new Set(Array.from({ length: days }, (_, i) => businessDate(t - i * 86_400_000, store!)))
  }

  /** Finds a document and calls `onDoc` now (if ready) and on every change. */
  const track = <T>(url: string, onDoc: (handle: DocHandle<T>) => void): void => {
    if (tracking.has(url) || closed) return
    tracking.add(url)
    loading++
    let counted = true
    const settled = () => {
      if (!counted) return
      counted = false
      loading--
      emit()
    }
    const start = async () => {
      const handle = await repo.find<T>(url as AutomergeUrl, {
        allowableStates: ['ready', 'unavailable'],
      })
      handle.on('change', () => onDoc(handle))
      if (!handle.isReady()) {
        // Unavailable here for now: it arrives when a peer has it. Not "loading" meanwhile,
        // so an idle bridge does not wait for a document nobody can give it.
        settled()
        await handle.whenReady()
      }
      if (!closed) onDoc(handle)
    }
    start()
      .catch(() => {
        // Gone for good (deleted) or the repo shut down: allow a later retry.
        tracking.delete(url)
      })
      .finally(settled)
  }

  const onOrder = (handle: DocHandle<OrderDoc>) => {
    orders.set(handle.url, { order: readOrder(handle.doc() as OrderDoc), handle })
    emit()
  }

  const onTable = (handle: DocHandle<TableDoc>) => {
    const table = decodeDoc<TableData>(handle.doc())
    tables.set(handle.url, table)
    refreshOrders()
    emit()
  }

  const refreshOrders = () => {
    const dates = watchedDates()
    for (const table of tables.values()) {
      for (const ref of Object.values(table.orders)) {
        if (dates.has(ref.businessDate)) track<OrderDoc>(ref.url, onOrder)
      }
    }
  }

  const onStore = (handle: DocHandle<StoreDoc>) => {
    store = decodeDoc<StoreData>(handle.doc())
    for (const t of Object.values(store.tables)) track<TableDoc>(t.url, onTable)
    refreshOrders()
    emit()
  }

  track<StoreDoc>(options.storeUrl, onStore)

  return {
    deviceId,
    store: () => store,
    orders(): OrderSnapshot[] {
      const dates = watchedDates()
      return [...orders.entries()]
        .filter(([, o]) => dates.has(o.order.businessDate))
        .map(([url, o]) => ({ url, order: o.order }))
    },
    loading: () => loading,
    order(url) {
      const o = orders.get(url)
      if (!o) track<OrderDoc>(url, onOrder)
      return o?.order
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async recordPrint(url, input) {
      const o = orders.get(url)
      if (!o || !store) throw new Error(`order ${url} is not loaded`)
      const ticket = o.order.tickets[input.ticketId]
      if (ticket) clock.receive(ticket.at) // the print record is stamped after the fire
      const ctx = { deviceId, clock, store }
      o.handle.change((d) => {
        recordPrint(d, ctx, input)
      })
      await repo.flush([o.handle.documentId])
    },
    async close() {
      closed = true
      listeners.clear()
    },
  }
}

/**
 * `decode` for a document read through automerge-repo. The cast: outside core, TypeScript fails
 * to relate `OrderDoc` to `Encoded<OrderData>` (the same type, instantiated another way).
 */
function decodeDoc<T>(doc: unknown): T {
  return decode<T>(doc as never)
}
