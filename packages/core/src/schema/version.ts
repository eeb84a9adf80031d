/** The kinds of Tabsync document. */
export const DocKind = {
  store: 'store',
  table: 'table',
  order: 'order',
  /** One table's references of one business day (schema/table-day.ts). */
  tableDay: 'table-day',
} as const
export type DocKind = (typeof DocKind)[keyof typeof DocKind]

/**
 * The schema each kind of document is written at by this version of Tabsync: a new document
 * gets it at its root, and an older one is raised to it by the migrations in
 * `schema/migrations.ts` before this device writes into it. A document whose `schema` is higher
 * than this is read-only here (see `schema/compat.ts`).
 */
export const CURRENT_SCHEMA: SchemaLevels = { store: 1, table: 2, order: 2, 'table-day': 1 }

/**
 * The schema a new table document is created at: 1, which every version writes into. Schema 2
 * only marks a table whose store keeps its references in table-day documents (migrations.ts),
 * so that tills of the previous version stop writing there; a device raises a table to it only
 * when its store's `tableDaysFrom` has come.
 */
export const LEGACY_TABLE_SCHEMA = 1

/** A schema number per kind of document: what one version of Tabsync reads and writes. */
export type SchemaLevels = Readonly<Record<DocKind, number>>

/**
 * Schema of the first release, and the lowest schema any document has.
 * @deprecated Use {@link CURRENT_SCHEMA} for the schema of a kind of document.
 */
export const SCHEMA_VERSION = 1
