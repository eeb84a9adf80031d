// @tabsync/relay: the Tabsync WebSocket relay (cloud) and hub (in-store), one program.

export {
  startRelay,
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  DEFAULT_HOST,
  DEFAULT_IDLE_UNLOAD_MS,
} from './server.js'
export type { RelayOptions, RunningRelay } from './server.js'

export { issueToken, verifyToken } from './auth/token.js'
export type { IssueTokenOptions, Secret } from './auth/token.js'
export { tokenClaimsSchema, ID_PATTERN } from '@tabsync/protocol'
export type { TokenClaims } from './auth/claims.js'
export { parseTtl } from './auth/ttl.js'
export { loadOrCreateSecret, resolveSecret, SECRET_ENV, SECRET_FILE } from './auth/secret.js'
export type { ResolvedSecret, SecretSource } from './auth/secret.js'
export { isPeerOfDevice, deviceOfPeer } from './auth/peer-binding.js'
export { tokenFromRequest, selectSubprotocol } from './auth/request-token.js'
// The wire names the relay README documents; they are @tabsync/protocol's.
export {
  SYNC_SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  HEARTBEAT_FRAME_TYPE,
  tokenSubprotocols,
  redactSecrets,
  redactUrl,
  CloseCode,
  closeReason,
} from '@tabsync/protocol'
export type { RequestToken, TokenTransport } from './auth/request-token.js'
export { DEFAULT_HEARTBEAT_MS } from './network/heartbeat.js'

export { RelayError, RelayErrorKind, isRelayError } from './errors.js'
export { DEFAULT_LIMITS } from './limits/limits.js'
export type { RelayLimits } from './limits/limits.js'
export { TokenBucket } from './limits/rate-limit.js'

export { OwnershipRegistry, RELAY_KEY_PREFIX, readStoreId } from './access/ownership.js'
export type {
  OwnershipRecord,
  OwnershipState,
  AccessDecision,
  DenialReason,
} from './access/ownership.js'
export type { Principal } from './access/principal.js'

export { FileStorageAdapter } from './storage/file-storage-adapter.js'
export type { FileStorageOptions } from './storage/file-storage-adapter.js'
export { InstrumentedStorage } from './storage/instrumented-storage.js'
export type { StorageObserver } from './storage/instrumented-storage.js'

export { RelayMetrics, Metric } from './http/metrics.js'
export { DEFAULT_UPSTREAM_BACKOFF, upstreamIdentity } from './upstream.js'
export type { UpstreamIdentity } from './upstream.js'
export { createLogger } from './log.js'
export type { LogLevel } from './log.js'
export { main as runCli } from './cli.js'
export type { ListeningLine } from './cli.js'
