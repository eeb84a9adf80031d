// @tabsync/sync/internal: parts of the device side that other Tabsync programs reuse directly
// (the demo server introduces a store's documents one at a time with store-bound ids). Not for
// applications: no compatibility promise.

export { createStoreBoundDoc } from './docs/create-bound.js'
export { bulkChunkKey } from './docs/chunk-keys.js'
