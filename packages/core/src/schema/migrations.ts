import * as A from '@automerge/automerge'
import { TabsyncError } from '../errors.js'
import type { DocKind, SchemaLevels } from './version.js'

/*
 * Migrations raise a document from one schema to the next. Two devices that migrate the same
 * document while apart must not end with two migrations merged together (Automerge merges both:
 * two `transfers` maps of which one wins and hides the other's entries, or a value written
 * twice). So a migration here is one Automerge change whose bytes are the same on every device:
 * it is built on an empty document by a fixed actor, with no dependencies and time 0, and it can
 * only add root containers and constants (it never sees the document it migrates, so it cannot
 * depend on it). Every device that applies it applies the same change (same hash), and merging
 * any number of migrated replicas gives one migrated state. Existing entries are never
 * rewritten: readers understand every older form instead (nothing is deleted, rule 1).
 */

/** One schema step of one kind of document. */
export interface Migration {
  readonly kind: DocKind
  readonly from: number
  /** Always `from + 1`. */
  readonly to: number
  /** What the step adds, for the changelog and the compatibility table in the README. */
  readonly description: string
  /**
   * Root keys this step adds: containers (entry maps) that devices of schema `to` read and
   * devices of older schemas do not know. Views on an older device count what they hold as
   * "from a newer version" rather than ignoring it silently.
   */
  readonly adds: readonly string[]
  /**
   * Writes the step's additions into an EMPTY document root. Only constants: it runs once per
   * device on a blank document so that every device builds the identical change.
   */
  readonly apply: (root: Record<string, unknown>) => void
}

/** A set of schema steps per kind, and the schema they lead to. */
export interface MigrationRegistry {
  readonly steps: readonly Migration[]
  /** The schema of each kind after every step: what a device with this registry writes. */
  readonly current: SchemaLevels
}

/**
 * Order schema 2: the `transfers` (combine checks, move lines) and `cancels` (an empty check
 * cancelled) entry maps. Orders created at schema 2 have them from the start; a schema 1 order
 * gets them from this step before the first write, never from a command (two devices creating a
 * map at once would each make their own, and the merge would keep only one, with its entries).
 */
const ORDER_TRANSFERS_AND_CANCELS: Migration = {
  kind: 'order',
  from: 1,
  to: 2,
  description: 'transfers and cancels entry maps (combine checks, move lines, cancel a check)',
  adds: ['transfers', 'cancels'],
  apply: (root) => {
    root['transfers'] = {}
    root['cancels'] = {}
  },
}

/**
 * Table schema 2: the table is retired. Its store keeps the references of each business day in
 * table-day documents (table-day.ts) from its `tableDaysFrom` date on; a till of the previous
 * version (table schema 1) refuses to write into a retired table (`newer-schema`: "update this
 * device") instead of filing references there that devices reading table-days would only find
 * late. Adds nothing: readers of every version still read its `orders`. Unlike the order step,
 * a device does not apply it before any write: only a store that opted in retires its tables
 * (`retireTable`, sync's table writes), or every till of a mixed fleet would stop opening checks.
 */
const TABLE_RETIRED: Migration = {
  kind: 'table',
  from: 1,
  to: 2,
  description: 'retired: references live in table-day documents from the store’s tableDaysFrom',
  adds: [],
  apply: () => undefined,
}

/**
 * Builds a registry from steps, checking that they are consecutive per kind (1→2, 2→3, ...).
 * `base` is the first schema of every kind (1).
 */
export function migrationRegistry(steps: readonly Migration[]): MigrationRegistry {
  const current: Record<DocKind, number> = { store: 1, table: 1, order: 1, 'table-day': 1 }
  for (const step of [...steps].sort((a, b) => a.from - b.from)) {
    if (step.from !== current[step.kind] || step.to !== step.from + 1) {
      throw new Error(
        `Tabsync invariant failed: ${step.kind} migration ${step.from}→${step.to} is not the next step after ${current[step.kind]}`,
      )
    }
    current[step.kind] = step.to
  }
  return { steps, current }
}

/**
 * The schema steps of this version of Tabsync, in the order they were shipped. Each step raises
 * {@link CURRENT_SCHEMA} of its kind by one (a test checks that both agree).
 */
export const MIGRATIONS: MigrationRegistry = migrationRegistry([
  ORDER_TRANSFERS_AND_CANCELS,
  TABLE_RETIRED,
])

/**
 * Raises a table document to schema 2 (see TABLE_RETIRED): the same change on every device, so
 * two devices retiring a table apart merge to one. Returns the same document when it is retired
 * already (or newer).
 *
 * @example
 * tableHandle.update((t) => retireTable(t))
 */
export function retireTable<T>(doc: A.Doc<T>): A.Doc<T> {
  if (kindOf(doc) !== 'table' || schemaOf(doc) >= TABLE_RETIRED.to) return doc
  return A.applyChanges(doc, [migrationChange(TABLE_RETIRED)])[0]
}

const changeCache = new WeakMap<Migration, Uint8Array>()

/**
 * The one Automerge change of a migration step: identical bytes on every device (fixed actor
 * derived from the kind and step, no dependencies, time 0, built on an empty document).
 */
export function migrationChange(step: Migration): Uint8Array {
  const cached = changeCache.get(step)
  if (cached) return cached
  let doc = A.init<Record<string, unknown>>({ actor: migrationActor(step) })
  doc = A.change(
    doc,
    { time: 0, message: `tabsync migration ${step.kind} ${step.from}→${step.to}` },
    (root) => {
      step.apply(root)
      root['schema'] = step.to
    },
  )
  const change = A.getLastLocalChange(doc)
  if (!change) throw new Error(`Tabsync invariant failed: migration ${step.kind} wrote nothing`)
  changeCache.set(step, change)
  return change
}

/** The actor of a step's change: 16 bytes spelling `ts/<kind>/<from>`, padded with zeros. */
function migrationActor(step: Migration): string {
  return fixedActor(`ts/${step.kind}/${step.from}`)
}

/**
 * A fixed actor id: 16 bytes spelling `label` (at most 16 characters), padded with zeros. The
 * deterministic changes (migrations, the table index in `table-index.ts`) are made by such
 * actors so that every device builds the same bytes.
 */
export function fixedActor(labelText: string): string {
  const label = new TextEncoder().encode(labelText).slice(0, 16)
  const bytes = new Uint8Array(16)
  bytes.set(label)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * The effective schema of a document. A migration's `schema` write is concurrent with the
 * document's creation (it has no dependencies), so Automerge may keep the older value as the
 * visible one: the schema is the highest of the concurrent values.
 */
export function schemaOf(doc: unknown): number {
  if (doc === null || typeof doc !== 'object') return 0
  let schema = numeric((doc as Record<string, unknown>)['schema'])
  if (A.isAutomerge(doc)) {
    const values = A.getConflicts(doc as A.Doc<Record<string, unknown>>, 'schema')
    for (const value of Object.values(values ?? {})) schema = Math.max(schema, numeric(value))
  }
  return schema
}

function numeric(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0
}

/** The kind a document says it is, or undefined when it is not a Tabsync document. */
export function kindOf(doc: unknown): DocKind | undefined {
  if (doc === null || typeof doc !== 'object') return undefined
  const kind = (doc as Record<string, unknown>)['kind']
  const value = typeof kind === 'string' ? kind : A.isImmutableString(kind) ? kind.val : undefined
  return value === 'store' || value === 'table' || value === 'order' || value === 'table-day'
    ? value
    : undefined
}

/** The steps that raise `doc` to the registry's schema, in order (none when current or newer). */
export function pendingMigrations(
  doc: unknown,
  registry: MigrationRegistry = MIGRATIONS,
): readonly Migration[] {
  const kind = kindOf(doc)
  if (!kind) return []
  const pending: Migration[] = []
  for (let schema = schemaOf(doc); schema < registry.current[kind]; schema++) {
    const step = registry.steps.find((s) => s.kind === kind && s.from === schema)
    if (!step) {
      throw new TabsyncError('corrupt', `no migration for a ${kind} document at schema ${schema}`, {
        kind,
        schema,
      })
    }
    pending.push(step)
  }
  return pending
}

/**
 * Raises a document to the registry's schema by applying the pending steps' changes. Returns the
 * same document when nothing is pending (current, or newer than this device knows). Safe to run
 * on any number of devices at once: the changes are identical, so they merge to one.
 *
 * @example
 * handle.update((doc) => migrate(doc))
 */
export function migrate<T>(doc: A.Doc<T>, registry: MigrationRegistry = MIGRATIONS): A.Doc<T> {
  const steps = pendingMigrations(doc, registry)
  if (steps.length === 0) return doc
  const [migrated] = A.applyChanges(doc, steps.map(migrationChange))
  return migrated
}
