// @tabsync/relay: the Tabsync WebSocket relay (cloud) and hub (in-store), one program.
// What an application embedding a relay uses; the wire names are @tabsync/protocol's, and what
// the relay's own tests and sync's contract test need of its insides is @tabsync/relay/internal.

export { startRelay } from './server.js'
export type { RelayOptions, RunningRelay } from './server.js'
export type { RelayLimits } from './limits/limits.js'

export { issueToken, verifyToken } from './auth/token.js'
export type { IssueTokenOptions, Secret } from './auth/token.js'
export { loadOrCreateSecret, resolveSecret } from './auth/secret.js'

export { RelayError, RelayErrorKind, isRelayError } from './errors.js'
