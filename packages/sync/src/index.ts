// @tabsync/sync: the device side of Tabsync on automerge-repo.

export { openDevice, createStore } from './device/open-device.js'
export type { OpenDeviceOptions, EndpointOption } from './device/open-device.js'
export { Device } from './device/device.js'
export { untilLoaded } from './device/day-view.js'
export type { DayDigests, DayDigestsOptions, DigestEntry } from './device/day-digests.js'
export type { DayReport } from './device/report-watch.js'
export type { SummaryCacheStats } from './device/summary-cache.js'
export { SUMMARY_PREFIX } from './device/summary-cache.js'
export { NEWEST_FIRST, openFirst } from './device/open-first.js'
export type {
  ChangeEvent,
  DayOrder,
  DayView,
  WatchDaysOptions,
  DayOrders,
  DocKindName,
  LoadDayOptions,
  LoadProgress,
  NewStore,
  OrderEntry,
  TableOrdersOptions,
} from './device/device.js'

export { ConnectionState, connectionState } from './status/sync-status.js'
export type { SyncStatus } from './status/sync-status.js'
export type { OutdatedServer } from './status/outdated-servers.js'
export { EndpointKind, EndpointState, isSyncLink } from './network/sync-link.js'
export type { EndpointStatus, SyncLink } from './network/sync-link.js'
export {
  WebSocketLink,
  inferEndpointKind,
  DEFAULT_CONNECT_TIMEOUT_MS,
  SILENCE_HEARTBEATS,
} from './network/websocket-link.js'
export { SilenceDeadline } from './network/liveness.js'
export type { WebSocketLinkOptions } from './network/websocket-link.js'
// The wire names this package's README documents; they are @tabsync/protocol's.
export {
  redactSecrets,
  backoffDelay,
  backoffSchedule,
  DEFAULT_BACKOFF,
  CloseCode,
} from '@tabsync/protocol'
export type { BackoffOptions } from '@tabsync/protocol'

// The sync throttle is written once in @tabsync/protocol (the relay sets it too).
export {
  setSyncThrottle,
  syncThrottleOf,
  SyncThrottleMode,
  STOCK_SYNC_THROTTLE_MS,
} from '@tabsync/protocol'
// One Automerge.load per document opened, also written in @tabsync/protocol (any Repo by shape).
export { installLoadHook, loadHookStats, LoadHookMode } from '@tabsync/protocol'
export type { AutomergeLoader, LoadHookStats } from '@tabsync/protocol'
export { consoleLogger, silentLogger } from './log/logger.js'
export type { Logger } from './log/logger.js'
export { findDoc } from './docs/find-doc.js'
export type { FindDocOptions } from './docs/find-doc.js'
export { MemoryStorageAdapter } from './storage/memory-storage.js'
export type { StorageOption } from './storage/resolve-storage.js'
export { deviceDatabaseName } from './storage/database-name.js'
export { DeviceKeys } from './storage/device-keys.js'
export { openPersistentClock } from './clock/persistent-clock.js'
export type { PersistentClock, PersistentClockOptions } from './clock/persistent-clock.js'

export { SyncError, SyncErrorKind, isSyncError } from './errors.js'
