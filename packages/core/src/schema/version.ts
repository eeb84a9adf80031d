/** Schema version written at the root of every Tabsync document. */
export const SCHEMA_VERSION = 1

/** The three kinds of Tabsync document. */
export const DocKind = { store: 'store', table: 'table', order: 'order' } as const
export type DocKind = (typeof DocKind)[keyof typeof DocKind]
