// @tabsync/sync/testing: the simulated network and crashable storage, for tests of packages
// built on @tabsync/sync (the printer's, the terminal's) as much as for sync's own.

export { createSimNetwork, SimNetworkAdapter } from './sim-network.js'
export type {
  SimFaults,
  SimNetwork,
  SimNetworkOptions,
  SimNodeKind,
  SimStats,
} from './sim-network.js'
export { createCrashableStorage } from './crashable-storage.js'
export type { CrashableStorage, CrashableStorageOptions } from './crashable-storage.js'
export { seededRandom } from './seeded-random.js'
export { assertProperty, fuzzRuns, fuzzSeed, LONG_FUZZ } from './property-budget.js'
