// @tabsync/sync/internal: parts of the device side that other Tabsync programs reuse directly
// (the demo server introduces a store's documents one at a time with store-bound ids). Not for
// applications: no compatibility promise.

export { createStoreBoundDoc } from './docs/create-bound.js'
export { bulkChunkKey } from './docs/chunk-keys.js'
// The bench counts what a device reads through a storage wrapper that still lists keys without
// their bytes (storage/key-listing.ts), as the device does through its own adapter.
export { listDocumentKeys, listKeys } from './storage/key-listing.js'
