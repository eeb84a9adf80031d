/** Every reason a Tabsync command or boundary refuses input. */
export const ErrorKind = {
  invalidInput: 'invalid-input',
  notFound: 'not-found',
  forbidden: 'forbidden',
  conflict: 'conflict',
  closed: 'closed',
  alreadyFired: 'already-fired',
  voided: 'voided',
  balanceDue: 'balance-due',
  clock: 'clock',
  corrupt: 'corrupt',
  newerSchema: 'newer-schema',
} as const
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind]

/**
 * The one error class Tabsync throws at its boundaries. Switch on `kind`, show `message` to staff.
 *
 * @example
 * try { addLine(doc, ctx, { itemId: 'nope', quantity: 1 }) }
 * catch (e) { if (isTabsyncError(e) && e.kind === 'not-found') showMenuOutOfDate() }
 */
export class TabsyncError extends Error {
  readonly kind: ErrorKind
  readonly details: Readonly<Record<string, unknown>>

  constructor(kind: ErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'TabsyncError'
    this.kind = kind
    this.details = details
  }
}

/** True when `e` is a {@link TabsyncError}, optionally of the given kind. */
export function isTabsyncError(e: unknown, kind?: ErrorKind): e is TabsyncError {
  return e instanceof TabsyncError && (kind === undefined || e.kind === kind)
}

/** Throws an `invalid-input` TabsyncError unless `condition` holds. */
export function check(
  condition: unknown,
  message: string,
  details?: Record<string, unknown>,
): asserts condition {
  if (!condition) throw new TabsyncError(ErrorKind.invalidInput, message, details)
}

/** Invariant inside Tabsync itself: failing means a bug here, not bad input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Tabsync invariant failed: ${message}`)
}
