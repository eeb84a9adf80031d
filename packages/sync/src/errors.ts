import { TabsyncError } from '@tabsync/core'

/** Every reason the sync boundary refuses or fails. */
export const SyncErrorKind = {
  /** The device has no store yet: pass `storeUrl` or call `createStore` first. */
  noStore: 'no-store',
  /** A document could not be found locally nor from any peer (yet). */
  unavailable: 'unavailable',
  /**
   * A document this device must not use: it arrived but belongs to another store (its root
   * `storeId` is not this device's store).
   */
  forbidden: 'forbidden',
  /** A relay or hub answered 401: the token is missing, bad or expired. */
  tokenRejected: 'token-rejected',
  /** The device was closed. */
  closed: 'closed',
  /** A document is not what the caller expected (e.g. an order URL that points to a table). */
  wrongKind: 'wrong-kind',
  /** Options given to `openDevice` are invalid. */
  invalidOptions: 'invalid-options',
  /** A peer sent a frame (or a change in one) that does not parse: logged and ignored. */
  malformed: 'malformed',
  /**
   * A hub or relay of the device does not serve what the call needs (protocol's `ServerFeature`,
   * named in its `/time` answer): update the server first.
   */
  serverOutdated: 'server-outdated',
} as const
export type SyncErrorKind = (typeof SyncErrorKind)[keyof typeof SyncErrorKind]

/**
 * The error class of `@tabsync/sync`, a core `TabsyncError` (so `isTabsyncError` is true for it)
 * with the sync kinds. Switch on `kind`. Errors thrown by core commands run through `device.run`
 * are core's `TabsyncError`s and pass through unchanged.
 *
 * @example
 * try { await device.ready() } catch (e) { if (isSyncError(e, 'no-store')) showPairing() }
 */
export class SyncError extends TabsyncError<SyncErrorKind> {
  constructor(
    kind: SyncErrorKind,
    message: string,
    details: Record<string, unknown> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(kind, message, details, options)
    this.name = 'SyncError'
  }
}

/** True when `e` is a {@link SyncError}, optionally of the given kind. */
export function isSyncError(e: unknown, kind?: SyncErrorKind): e is SyncError {
  return e instanceof SyncError && (kind === undefined || e.kind === kind)
}
