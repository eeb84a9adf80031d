// @tabsync/core/internal: what the other Tabsync packages (sync, relay), their tests and the
// benchmarks need of core's insides: store-bound document ids, the schema migration machinery,
// the document bundle, the raw string form. Not for applications: no compatibility promise.

export { storeBoundIdBytes, isStoreBoundId, isIdOfStore } from './store-bound-id.js'
export { text } from './schema/encoding.js'
export { CURRENT_SCHEMA, LEGACY_TABLE_SCHEMA } from './schema/version.js'
export { tableDayChange, tableDayIdBytes, tableDayNonce } from './schema/table-day.js'
export {
  MIGRATIONS,
  migrationRegistry,
  migrate,
  retireTable,
  pendingMigrations,
  schemaOf,
  kindOf,
} from './schema/migrations.js'
export { assertWritable } from './schema/compat.js'
export { encodeBundle, decodeBundle } from './schema/bundle.js'
export type { BundledDocument } from './schema/bundle.js'
export { orderTotals } from './views/totals.js'
export { fitChanges, localChangesBetween } from './schema/change-set.js'
export type { ChangeSetFit, FitOptions } from './schema/change-set.js'
