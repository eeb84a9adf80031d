// @tabsync/relay/internal: parts of the relay that tests on the other side of the wire exercise
// directly (sync's wire-contract test reads a token the way the relay does). Not for
// applications: no compatibility promise.

export { tokenFromRequest, selectSubprotocol } from './auth/request-token.js'
export type { RequestToken, TokenTransport } from './auth/request-token.js'
