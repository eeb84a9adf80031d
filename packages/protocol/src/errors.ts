import { TabsyncError } from '@tabsync/core'

/** What was wrong with input refused by the protocol module. */
export const ProtocolErrorKind = {
  /** Not three dot-separated base64url parts with a JSON payload. */
  notAJwt: 'not-a-jwt',
  /** A JWT whose payload is not a Tabsync token's claims. */
  badClaims: 'bad-claims',
} as const
export type ProtocolErrorKind = (typeof ProtocolErrorKind)[keyof typeof ProtocolErrorKind]

/**
 * Input refused by `@tabsync/protocol`, a core `TabsyncError` (so `isTabsyncError` is true for
 * it); `kind` says why, `cause` holds the underlying error.
 */
export class ProtocolError extends TabsyncError<ProtocolErrorKind> {
  constructor(kind: ProtocolErrorKind, message: string, options?: { readonly cause?: unknown }) {
    super(kind, message, {}, options)
    this.name = 'ProtocolError'
  }
}
