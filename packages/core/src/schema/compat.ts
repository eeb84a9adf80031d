import { TabsyncError } from '../errors.js'
import { kindOf, MIGRATIONS, schemaOf, type MigrationRegistry } from './migrations.js'
import type { DocKind } from './version.js'

/*
 * The compatibility policy (packages/core/README.md, "Compatibility"): a device reads and keeps
 * syncing every document, writes only into documents whose schema it knows, raises older ones
 * with the deterministic migrations first, and shows what a newer version wrote as such instead
 * of dropping it from totals silently.
 */

/** How a document's schema compares with what this device writes. */
export const Compatibility = {
  /** Written at this device's schema: read and write. */
  current: 'current',
  /** Older: migrate (deterministically) before writing; readable as it is. */
  older: 'older',
  /** Newer than this device knows: store and sync it untouched, show it read-only. */
  newer: 'newer',
} as const
export type Compatibility = (typeof Compatibility)[keyof typeof Compatibility]

/** The root keys of each kind of document at schema 1, the first release. */
const BASE_KEYS: Readonly<Record<DocKind, readonly string[]>> = {
  order: [
    'schema',
    'kind',
    'storeId',
    'orderId',
    'openedAt',
    'openedBy',
    'businessDate',
    'tableId',
    'note',
    'guests',
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
  ],
  table: ['schema', 'kind', 'storeId', 'tableId', 'orders'],
  'table-day': ['schema', 'kind', 'storeId', 'tableId', 'date', 'orders', 'hints'],
  store: [
    'schema',
    'kind',
    'storeId',
    'name',
    'currency',
    'timeZone',
    'dayStartHour',
    'taxRates',
    'categories',
    'modifierGroups',
    'items',
    'tables',
    'devices',
    'printers',
  ],
}

/** How `doc`'s schema compares with the registry's (this device's) schema for its kind. */
export function compatibility(
  doc: unknown,
  registry: MigrationRegistry = MIGRATIONS,
): Compatibility {
  const kind = kindOf(doc)
  if (!kind) return Compatibility.current
  const schema = schemaOf(doc)
  const known = registry.current[kind]
  return schema > known ? 'newer' : schema < known ? 'older' : 'current'
}

/**
 * Refuses to write into a document written by a newer version: a change made without knowing
 * its format could corrupt it (a payment taken against totals that ignore a newer entry kind).
 * Throws a `newer-schema` TabsyncError that tells staff to update the device.
 */
export function assertWritable(doc: unknown, registry: MigrationRegistry = MIGRATIONS): void {
  if (compatibility(doc, registry) !== 'newer') return
  const kind = kindOf(doc) ?? 'order'
  throw new TabsyncError(
    'newer-schema',
    `this ${kind} was changed by a newer version of the app: update this device to change it`,
    { kind, schema: schemaOf(doc), known: registry.current[kind] },
  )
}

/** What a newer version wrote that this device does not understand. */
export interface NewerContent {
  /** Root keys this device does not know (entry maps of a newer schema), sorted. */
  readonly keys: readonly string[]
  /** Entries they hold, counted. */
  readonly entries: number
}

/** Root keys a device with `registry` knows for a kind of document. */
export function knownKeys(kind: DocKind, registry: MigrationRegistry = MIGRATIONS): Set<string> {
  const keys = new Set(BASE_KEYS[kind])
  for (const step of registry.steps) {
    if (step.kind === kind && step.to <= registry.current[kind]) {
      for (const key of step.adds) keys.add(key)
    }
  }
  return keys
}

/**
 * Counts what `doc` holds that this device does not know: root containers added by a newer
 * schema and their entries. Views show it ("N entries from a newer version") so a check is never
 * silently short of something a newer device added.
 */
export function newerContent(doc: unknown, registry: MigrationRegistry = MIGRATIONS): NewerContent {
  const kind = kindOf(doc)
  if (!kind) return { keys: [], entries: 0 }
  const known = knownKeys(kind, registry)
  const keys: string[] = []
  let entries = 0
  for (const key of Object.keys(doc as object).sort()) {
    if (known.has(key)) continue
    keys.push(key)
    const value = (doc as Record<string, unknown>)[key]
    entries += value !== null && typeof value === 'object' ? Object.keys(value).length : 1
  }
  return { keys, entries }
}
