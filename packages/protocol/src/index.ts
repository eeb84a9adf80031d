export {
  CloseCode,
  FATAL_CLOSE_CODES,
  closeReason,
  isCloseCode,
  isFatalCloseCode,
} from './close-codes.js'
export type { CloseCodeName } from './close-codes.js'
export {
  CHANGE_FRAME,
  FrameType,
  MAX_CHANGES_PER_FRAME,
  REVOCATIONS_FRAME,
  changeFrameSchema,
  clientFrameSchema,
  documentIdSchema,
  ephemeralFrameSchema,
  errorFrameSchema,
  heartbeatFrameSchema,
  joinFrameSchema,
  peerFrameSchema,
  peerIdSchema,
  remoteHeadsFrameSchema,
  remoteSubscriptionFrameSchema,
  revocationsFrameSchema,
  serverFrameSchema,
  syncFrameSchema,
  unavailableFrameSchema,
} from './frames.js'
export type {
  ChangeFrame,
  ClientFrame,
  DocFrame,
  JoinFrame,
  PeerFrame,
  ServerFrame,
} from './frames.js'
export {
  HEARTBEAT_FRAME_TYPE,
  SYNC_SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  authorizationHeaders,
  tokenSubprotocols,
} from './subprotocol.js'
export { REDACTED, redactSecrets, redactUrl } from './redact.js'
export { DEFAULT_BACKOFF, backoffDelay, backoffSchedule } from './backoff.js'
export type { BackoffOptions } from './backoff.js'
export {
  ID_PATTERN,
  TOKEN_ROLES,
  decodeJwtPayload,
  decodeTokenClaimsUnverified,
  tokenClaimsSchema,
} from './token-claims.js'
export type { TokenClaimsPayload } from './token-claims.js'
export { ProtocolError, ProtocolErrorKind } from './errors.js'
export { ServerFeature, TIME_PATH, timeReplySchema } from './time.js'
export type { TimeReply } from './time.js'
export {
  DOCUMENTS_PATH,
  DocumentsRefusal,
  MAX_DOCUMENTS_PER_REQUEST,
  MAX_FLOOR_ORDERS,
  documentsFloorSchema,
  documentsRefusalSchema,
  documentsRequestSchema,
} from './documents.js'
export type { DocumentsFloor, DocumentsRefusalBody, DocumentsRequest } from './documents.js'
export {
  setSyncThrottle,
  syncThrottleOf,
  SyncThrottleMode,
  STOCK_SYNC_THROTTLE_MS,
} from './sync-throttle.js'
export type { RepoLike } from './repo-internals.js'
export { guardBeginSync } from './begin-sync-guard.js'
export type { BeginSyncFailure } from './begin-sync-guard.js'
export { installLoadHook, loadHookStats, LoadHookMode } from './load-hook.js'
export type { AutomergeLoader, LoadHookStats } from './load-hook.js'
export { idleBeginSyncsSkipped, shortcutIdleBeginSync } from './begin-sync-shortcut.js'
export { deliverSteadySyncDirectly, steadySyncDelivered } from './steady-sync-delivery.js'
export type { SteadySyncOptions } from './steady-sync-delivery.js'
