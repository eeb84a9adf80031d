/** Every reason a core command refuses input. Other layers add their own kinds (see subclasses). */
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
 * The base of every error Tabsync throws at a boundary: core's commands throw it directly, and
 * each higher layer throws its own subclass (`ProtocolError`, `SyncError`, `RelayError`,
 * `PrinterError`) with its own kinds. Switch on `kind`, show `message` to staff; `cause` keeps the
 * error underneath; `details` holds machine-readable facts (ids, urls) for logs. `K` is the set
 * of kinds the throwing layer uses.
 *
 * @example
 * try { addLine(doc, ctx, { itemId: 'nope', quantity: 1 }) }
 * catch (e) { if (isTabsyncError(e, 'not-found')) showMenuOutOfDate() }
 */
export class TabsyncError<K extends string = ErrorKind> extends Error {
  readonly kind: K
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    kind: K,
    message: string,
    details: Record<string, unknown> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TabsyncError'
    this.kind = kind
    this.details = details
  }
}

/**
 * True when `e` is a Tabsync error of any layer (a core `TabsyncError` or one of its subclasses),
 * and, when `kind` is given, of that kind.
 */
export function isTabsyncError(e: unknown): e is TabsyncError<string>
export function isTabsyncError<K extends string>(e: unknown, kind: K): e is TabsyncError<K>
export function isTabsyncError(e: unknown, kind?: string): e is TabsyncError<string> {
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
