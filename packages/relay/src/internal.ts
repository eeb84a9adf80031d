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
// The bench's store-with-history fixture writes a relay's storage directly (bench/src/fixtures/
// history.ts): its file layout, and the key prefix of the ownership records (access/ownership.ts).
export { FileStorageAdapter } from './storage/file-storage-adapter.js'
export { RELAY_KEY_PREFIX } from './access/ownership.js'
