/** The three kinds of Tabsync document. */
export const DocKind = { store: 'store', table: 'table', order: 'order' } as const
export type DocKind = (typeof DocKind)[keyof typeof DocKind]

/**
 * The schema each kind of document is written at by this version of Tabsync: a new document
 * gets it at its root, and an older one is raised to it by the migrations in
 * `schema/migrations.ts` before this device writes into it. A document whose `schema` is higher
 * than this is read-only here (see `schema/compat.ts`).
 */
export const CURRENT_SCHEMA: SchemaLevels = { store: 1, table: 1, order: 2 }

/** A schema number per kind of document: what one version of Tabsync reads and writes. */
export type SchemaLevels = Readonly<Record<DocKind, number>>

/**
 * Schema of the first release, and the lowest schema any document has.
 * @deprecated Use {@link CURRENT_SCHEMA} for the schema of a kind of document.
 */
export const SCHEMA_VERSION = 1
