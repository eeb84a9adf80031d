/*
 * The floor as this device last showed it, kept in localStorage so that a reload paints it in
 * the first frames, before the app's code, Automerge's wasm and IndexedDB are ready (they took
 * 1.5-2 s of a reload on the 2-core bench machine, issue 15). It is a copy of a view this device
 * already derived from its own documents, replaced by the live floor as soon as those are open.
 * Imports nothing that loads Automerge: the start chunk (main.ts) reads it.
 */
import type { TableState } from './floor-plan.js'

/** One table as the floor shows it, in plain data (amounts already formatted). */
export interface PlanTile {
  readonly id: string
  readonly label: string
  readonly state: TableState
  readonly seats: number
  /** Open checks on the table. */
  readonly openCount: number
  /** The current check's total, formatted in the store's currency. */
  readonly total?: string
  readonly guests?: number
  /** When the current check was opened (ms, for "12 min"). */
  readonly openedAtMs?: number
}

/** An area of the floor (dining room, patio, bar, takeaway) and its tables, in floor order. */
export interface PlanArea {
  readonly name: string
  readonly tiles: readonly PlanTile[]
}

/** What is stored: the floor of one store on one device. */
export interface FloorSnapshot {
  readonly version: 1
  readonly storeId: string
  /** Wall-clock ms when it was saved. */
  readonly savedAt: number
  readonly areas: readonly PlanArea[]
}

const key = (deviceId: string) => `tabsync.floor.${deviceId}`

/** Saves the floor the device shows now (called on every floor change). */
export function saveFloorSnapshot(
  deviceId: string,
  storeId: string,
  areas: readonly PlanArea[],
): void {
  const snapshot: FloorSnapshot = { version: 1, storeId, savedAt: Date.now(), areas }
  try {
    localStorage.setItem(key(deviceId), JSON.stringify(snapshot))
  } catch (e) {
    // Storage full or disabled: the next start paints the live floor a little later, that is all.
    console.warn('tabsync: could not save the floor snapshot', e)
  }
}

const TILE_STATES: readonly string[] = ['free', 'open', 'fired', 'payment', 'attention']

function isTile(x: unknown): x is PlanTile {
  const t = x as Partial<PlanTile> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.id === 'string' &&
    typeof t.label === 'string' &&
    typeof t.state === 'string' &&
    TILE_STATES.includes(t.state) &&
    typeof t.seats === 'number' &&
    typeof t.openCount === 'number'
  )
}

/** Checks a parsed snapshot's shape; a malformed one is refused (with a log line), not drawn. */
export function parseFloorSnapshot(raw: unknown): FloorSnapshot | undefined {
  const s = raw as Partial<FloorSnapshot> | null
  const ok =
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    typeof s.storeId === 'string' &&
    typeof s.savedAt === 'number' &&
    Array.isArray(s.areas) &&
    s.areas.every(
      (a: Partial<PlanArea>) =>
        typeof a?.name === 'string' && Array.isArray(a.tiles) && a.tiles.every(isTile),
    )
  if (!ok) {
    console.warn('tabsync: ignoring a malformed floor snapshot')
    return undefined
  }
  return s as FloorSnapshot
}

/** The floor this device saved for `storeId`, if any (undefined for another store's). */
export function readFloorSnapshot(deviceId: string, storeId: string): FloorSnapshot | undefined {
  let raw: string | null
  try {
    raw = localStorage.getItem(key(deviceId))
  } catch {
    return undefined
  }
  if (!raw) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    console.warn('tabsync: ignoring a floor snapshot that is not JSON')
    return undefined
  }
  const snapshot = parseFloorSnapshot(parsed)
  return snapshot?.storeId === storeId ? snapshot : undefined
}

let pendingTap: { readonly id: string; readonly label: string } | undefined

/** A table tapped on the snapshot floor, before the live floor was there: opened once it is. */
export function tapBeforeReady(tile: PlanTile): void {
  pendingTap = { id: tile.id, label: tile.label }
}

/** The label of the table tapped before the live floor was there, if any (for "Opening 7…"). */
export function pendingTapLabel(): string | undefined {
  return pendingTap?.label
}

/** The table tapped before the live floor was there (once). */
export function takePendingTap(): string | undefined {
  const id = pendingTap?.id
  pendingTap = undefined
  return id
}

/** "12 min", "1 h 5" since `fromMs`. */
export function elapsedText(fromMs: number, nowMs: number): string {
  const minutes = Math.max(0, Math.floor((nowMs - fromMs) / 60_000))
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60}`
}
