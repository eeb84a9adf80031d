import * as A from '@automerge/automerge'
import type { DocHandle, PeerId } from '@automerge/automerge-repo/slim'
import { latestStamp, readOrder, type OrderDoc } from '@tabsync/core'
import type { PersistentClock } from '../clock/persistent-clock.js'
import type { Logger } from '../log/logger.js'
import type { SyncLink } from '../network/sync-link.js'

/** What {@link ClockHandshake} needs from the device. */
export interface ClockHandshakeParts {
  readonly clock: PersistentClock
  /** The device's wall clock, to time the round trip. */
  readonly wallClock: () => number
  /** The orders the device has open: their stamps are absorbed again after a calibration. */
  readonly openOrders: () => Iterable<DocHandle<OrderDoc>>
  readonly signal: AbortSignal
  readonly logger: Logger
  /** Called after a calibration (the status shows the skew). */
  readonly calibrated: () => void
}

/**
 * The device's hybrid clock against the outside world: absorbs the stamps of every order it
 * sees, and calibrates against a hub's or relay's time whenever one connects.
 */
export class ClockHandshake {
  readonly #parts: ClockHandshakeParts

  constructor(parts: ClockHandshakeParts) {
    this.#parts = parts
  }

  /**
   * Feeds the latest stamp of an order into the hybrid clock; after a change (`before` ->
   * `after`), only when it holds another replica's changes: this device's own entries carry its
   * own clock's stamps, and reading the whole order after every command cost more than the rest
   * of its bookkeeping.
   */
  absorb(
    handle: DocHandle<OrderDoc>,
    change?: { readonly before: A.Doc<unknown>; readonly after: A.Doc<unknown> },
  ): void {
    if (change && !fromOtherReplicas(change.before, change.after)) return
    try {
      this.#parts.clock.clock.receive(latestStamp(readOrder(handle.doc())))
    } catch (err) {
      // A malformed stamp from a peer must not break the device; core validates on write.
      this.#parts.logger.warn({ err, documentId: handle.documentId }, 'malformed stamp ignored')
    }
  }

  /**
   * The handshake: read the server's time, calibrate the hybrid clock (half the round trip
   * added), persist the clock, re-absorb open orders' stamps (now within the forward bound).
   */
  async run(link: SyncLink, peerId: PeerId): Promise<void> {
    const { wallClock, clock, signal } = this.#parts
    try {
      const t0 = wallClock()
      const reference = await link.referenceTime(peerId)
      const t1 = wallClock()
      if (signal.aborted) return
      clock.clock.calibrate(reference + (t1 - t0) / 2)
      for (const handle of this.#parts.openOrders()) this.absorb(handle)
      await clock.persist()
      this.#parts.calibrated()
    } catch (err) {
      // No /time (or it failed): keep the previous calibration; the next connect tries again.
      this.#parts.logger.info({ err }, 'clock calibration failed; keeping the previous one')
    }
  }
}

/** True when `after` holds changes `before` lacks that another actor made. */
function fromOtherReplicas(before: A.Doc<unknown>, after: A.Doc<unknown>): boolean {
  const actor = A.getActorId(after)
  return A.getChangesMetaSince(after, A.getHeads(before)).some((c) => c.actor !== actor)
}
