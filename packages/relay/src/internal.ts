// @tabsync/relay/internal: parts of the relay that tests on the other side of the wire exercise
// directly (sync's wire-contract test reads a token the way the relay does). Not for
// applications: no compatibility promise.

export { tokenFromRequest, selectSubprotocol } from './auth/request-token.js'
export type { RequestToken, TokenTransport } from './auth/request-token.js'
// The bench's replay tool (bench/src/tools/relay-replay-cost.ts) installs these one at a time.
export {
  installMessageShortcuts,
  MESSAGE_SHORTCUTS,
  MessageShortcut,
} from './repo/message-shortcuts.js'
export type { ShortcutLog } from './repo/message-shortcuts.js'
export { handOffDecoded } from './repo/edge-decode-handoff.js'
