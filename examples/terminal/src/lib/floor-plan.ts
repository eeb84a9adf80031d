/*
 * The floor as a pure function of the store and what the floor needs of each order (a
 * FloorOrder, from an order's summary or from its digest in sync's summary cache): every table
 * by area with its state and open checks, and the same in plain data with amounts formatted (what
 * the floor plan draws and the floor snapshot keeps). One derivation for the live floor
 * (terminal.svelte.ts) and the demo server's provisional floor for a new device
 * (server/starter-documents.ts), so the two can never disagree on what a table looks like.
 */
import type { AutomergeUrl } from '@automerge/automerge-repo'
import {
  formatMoney,
  hlcMs,
  isDigestOnFloor,
  isOnFloor,
  type OrderDigest,
  type OrderSummary,
  type StoreData,
  type TableInfo,
} from '@tabsync/core'
import type { PlanArea } from './floor-snapshot.js'

/** What a table looks like on the floor plan. */
export const TableState = {
  free: 'free',
  open: 'open',
  fired: 'fired',
  payment: 'payment',
  attention: 'attention',
} as const
export type TableState = (typeof TableState)[keyof typeof TableState]

/**
 * What the floor shows of one order. The same from the order's summary (its document is open)
 * and from its digest (sync's summary cache: the floor of a start, before any document opens).
 */
export interface FloorOrder {
  readonly tableId: string
  readonly openedAt: OrderDigest['openedAt']
  readonly openedBy: string
  readonly guests: number
  readonly status: OrderDigest['status']['status']
  /** False once closed, cancelled or combined: off the floor. */
  readonly onFloor: boolean
  readonly total: number
  readonly paid: number
  /** Lines on the check (the picker of a table with two checks says how many). */
  readonly lines: number
}

/** The floor's view of an order whose document is open. */
export function floorOrderOfSummary(s: OrderSummary): FloorOrder {
  return {
    tableId: s.order.tableId,
    openedAt: s.order.openedAt,
    openedBy: s.order.openedBy,
    guests: s.order.guests,
    status: s.status.status,
    onFloor: isOnFloor(s),
    total: s.totals.total,
    paid: s.totals.paid,
    lines: s.lines.length,
  }
}

/** The floor's view of an order from its digest, without opening its document. */
export function floorOrderOfDigest(d: OrderDigest): FloorOrder {
  return {
    tableId: d.tableId,
    openedAt: d.openedAt,
    openedBy: d.openedBy,
    guests: d.guests,
    status: d.status.status,
    onFloor: isDigestOnFloor(d),
    total: d.totals.total,
    paid: d.totals.paid,
    lines: d.lines.length + d.voids.count,
  }
}

/** An open check on a table. */
export interface FloorCheck {
  readonly url: AutomergeUrl
  readonly order: FloorOrder
}

export interface FloorTable {
  readonly table: TableInfo
  readonly state: TableState
  /** The check shown when the table is tapped (oldest open one). */
  readonly current: FloorCheck | undefined
  /** Open checks on the table. */
  readonly openCount: number
  /** Every open check on the table, oldest first (two after devices opened it while apart). */
  readonly checks: readonly FloorCheck[]
}

/** Every table with its state, by area, in the store's order. */
export function floorTables(
  store: StoreData,
  orders: Iterable<readonly [AutomergeUrl, FloorOrder]>,
): Map<string, FloorTable[]> {
  const open = new Map<string, FloorCheck[]>()
  for (const [url, order] of orders) {
    // Closed, cancelled and combined checks are off the floor.
    if (!order.onFloor) continue
    const list = open.get(order.tableId) ?? []
    list.push({ url, order })
    open.set(order.tableId, list)
  }
  const areas = new Map<string, FloorTable[]>()
  const tables = Object.values(store.tables).sort(
    (a, b) =>
      areaRank(a.area) - areaRank(b.area) ||
      a.area.localeCompare(b.area) ||
      a.label.localeCompare(b.label, undefined, { numeric: true }),
  )
  for (const table of tables) {
    const list = (open.get(table.id) ?? []).sort((a, b) =>
      a.order.openedAt < b.order.openedAt ? -1 : 1,
    )
    const current = list[0]
    const tiles = areas.get(table.area) ?? []
    tiles.push({
      table,
      current,
      openCount: list.length,
      checks: list,
      state: tableState(list.map((x) => x.order)),
    })
    areas.set(table.area, tiles)
  }
  return areas
}

/** The floor in plain data (amounts formatted in the store's currency). */
export function floorPlan(store: StoreData, floor: Map<string, FloorTable[]>): PlanArea[] {
  return [...floor].map(([name, tiles]) => ({
    name,
    tiles: tiles.map(({ table, state, current, openCount }) => ({
      id: table.id,
      label: table.label,
      state,
      seats: table.seats,
      openCount,
      ...(current
        ? {
            total: formatMoney(current.order.total, store.currency),
            guests: current.order.guests,
            openedAtMs: hlcMs(current.order.openedAt),
          }
        : {}),
    })),
  }))
}

/** Rooms first, then terrace, bar and takeaway; other areas after them by name. */
function areaRank(area: string): number {
  const order = [/dining|room|hall/i, /patio|terrace|garden/i, /bar|counter/i, /take|pick/i]
  const i = order.findIndex((re) => re.test(area))
  return i === -1 ? order.length : i
}

function tableState(open: FloorOrder[]): TableState {
  if (open.length === 0) return 'free'
  const statuses = open.map((o) => o.status)
  if (statuses.includes('needs-attention')) return 'attention'
  if (statuses.includes('paid') || open.some((o) => o.paid > 0)) return 'payment'
  if (statuses.includes('fired')) return 'fired'
  return 'open'
}
