import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import { isTabsyncError } from '@tabsync/core'
import { fitChanges } from '@tabsync/core/internal'
import { FrameType, type ChangeFrame } from '@tabsync/protocol'
import { Metric, type RelayMetrics } from '../http/metrics.js'
import type { Logger } from '../log.js'
import type { PeerConnection } from './peer-connection.js'

/** What became of an inbound `tabsync-change` frame (the metric's `outcome` label). */
export const ChangeFrameOutcome = {
  /** Checked, applied to the relay's copy and forwarded. */
  applied: 'applied',
  /** The relay holds every change already (sync got there first): nothing to forward. */
  known: 'known',
  /** The relay lacks a dependency: left to sync, which delivers in order. */
  missingDeps: 'missing-deps',
  /** The relay does not have the document in memory: left to sync (which also introduces it). */
  notLoaded: 'not-loaded',
  /** A change that does not decode: logged, ignored, the connection keeps serving. */
  corrupt: 'corrupt',
} as const
export type ChangeFrameOutcome = (typeof ChangeFrameOutcome)[keyof typeof ChangeFrameOutcome]

/** What {@link ChangeForwarder} asks of the adapter that owns the connections. */
export interface ChangeForwarderHost {
  readonly log: Logger
  readonly metrics: RelayMetrics
  /** The relay's own peer id. */
  relayPeerId(): string | undefined
  /** The relay's ready handle of a document, undefined when it is not loaded (or not ready). */
  handleOf(documentId: string): DocHandle<unknown> | undefined
  /** Whether the repo syncs this document with that peer (the device has it open). */
  isPeerOf(documentId: string, peerId: string): boolean
  /**
   * The checks every inbound change passes, the very ones a `sync` frame's changes pass (store-
   * bound id, ownership, role rights). False: refused, and the host has already closed, logged
   * and counted as it does for a sync frame.
   */
  admit(
    connection: PeerConnection,
    documentId: string,
    changes: readonly Uint8Array[],
  ): Promise<boolean>
  /** Joined connections. */
  connections(): Iterable<PeerConnection>
  /** Sends a repo-shaped frame to one connection, checked against ownership on the way out. */
  sendDocFrame(connection: PeerConnection, frame: ChangeFrame): void
}

/**
 * The relay's side of the change fast path: a device's `tabsync-change` frame is judged exactly
 * like a sync frame carrying the same changes, applied to the relay's own copy, and only then
 * forwarded to the other devices that have the document open (same store: the outbound ownership
 * check holds for every frame that leaves), before the repo's handle does its own work for the
 * change (change events, storage, sync messages). Applying before forwarding is what keeps the role
 * check sound: a receiver never holds a change the relay lacks, so its later sync never brings
 * another device's change to the relay as if it were its own write. Only changes new to the
 * relay are forwarded; anything else is left to sync, which keeps running underneath.
 */
export class ChangeForwarder {
  readonly #host: ChangeForwarderHost

  constructor(host: ChangeForwarderHost) {
    this.#host = host
  }

  /** Handles one inbound frame (in the connection's frame order). */
  async receive(connection: PeerConnection, frame: ChangeFrame): Promise<void> {
    const { documentId } = frame
    const handle = this.#host.handleOf(documentId)
    if (!handle) return this.#count(ChangeFrameOutcome.notLoaded)
    let fit
    try {
      fit = fitChanges(handle.doc(), frame.changes)
    } catch (err) {
      if (!isTabsyncError(err)) throw err
      this.#host.log.warn(
        { ...connection.logFields(), documentId, err },
        'change frame with an undecodable change ignored',
      )
      return this.#count(ChangeFrameOutcome.corrupt)
    }
    if (fit.fit === 'known') return this.#count(ChangeFrameOutcome.known)
    if (fit.fit === 'missing-deps') {
      this.#host.log.debug(
        { ...connection.logFields(), documentId, missing: fit.missing.length },
        'change frame waits for sync (missing dependencies)',
      )
      return this.#count(ChangeFrameOutcome.missingDeps)
    }
    if (!(await this.#host.admit(connection, documentId, fit.changes))) return
    // The checks may have waited (storage, an idle unload): look the document up again.
    const current = this.#host.handleOf(documentId)
    if (!current || connection.closed) return this.#count(ChangeFrameOutcome.notLoaded)
    // Applied to the relay's copy first: from here Automerge holds the changes (a receiver never
    // holds one the relay lacks). Forwarded next, and only then handed to the handle, whose
    // bookkeeping (heads, diff, the repo's change listeners: storage, sync messages) is the heavier
    // part and nothing a receiver waits for. All in one turn: no frame is read in between.
    const [next] = A.applyChanges(current.doc(), [...fit.changes])
    try {
      this.#count(ChangeFrameOutcome.applied)
      this.#forward(connection, documentId, fit.changes)
    } finally {
      current.update(() => next)
    }
  }

  #forward(from: PeerConnection, documentId: string, changes: readonly Uint8Array[]): void {
    const senderId = this.#host.relayPeerId()
    if (senderId === undefined) return
    for (const target of this.#host.connections()) {
      const peerId = target.peerId
      if (target === from || peerId === undefined || !target.readsChangeFrames) continue
      if (target.closed || !this.#host.isPeerOf(documentId, peerId)) continue
      this.#host.sendDocFrame(target, {
        type: FrameType.change,
        senderId,
        targetId: peerId,
        documentId,
        changes: [...changes] as ChangeFrame['changes'],
      })
    }
  }

  #count(outcome: ChangeFrameOutcome): void {
    this.#host.metrics.inc(Metric.changeFrames, { outcome })
  }
}
