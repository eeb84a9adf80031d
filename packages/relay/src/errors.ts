import { TabsyncError } from '@tabsync/core'

/** Every reason the relay refuses something at one of its boundaries. */
export const RelayErrorKind = {
  /** Token missing, malformed, forged, expired or with claims of the wrong shape. */
  unauthorized: 'unauthorized',
  /** Bad command-line or option input. */
  invalidInput: 'invalid-input',
  /** Storage could not be read or written. */
  storage: 'storage',
} as const
export type RelayErrorKind = (typeof RelayErrorKind)[keyof typeof RelayErrorKind]

/**
 * The one error class the relay throws at its boundaries, a core `TabsyncError` (so
 * `isTabsyncError` is true for it) with the relay's kinds; switch on `kind`. `reason` is a short
 * machine word (e.g. `expired`, `bad-signature`) that also labels logs and metrics (and is in
 * `details.reason`).
 */
export class RelayError extends TabsyncError<RelayErrorKind> {
  readonly reason: string

  constructor(
    kind: RelayErrorKind,
    reason: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(kind, message, { reason }, options)
    this.name = 'RelayError'
    this.reason = reason
  }
}

/** True when `e` is a {@link RelayError}, optionally of the given kind. */
export function isRelayError(e: unknown, kind?: RelayErrorKind): e is RelayError {
  return e instanceof RelayError && (kind === undefined || e.kind === kind)
}
