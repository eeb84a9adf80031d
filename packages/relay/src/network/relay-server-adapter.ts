import * as A from '@automerge/automerge'
import {
  NetworkAdapter,
  cbor,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo'
import type WebSocket from 'ws'
import type { OwnershipRegistry } from '../access/ownership.js'
import { IdAdmission } from '../access/store-bound-ids.js'
import type { WriteGuard } from '../access/write-guard.js'
import type { TokenClaims } from '../auth/claims.js'
import { CloseCode, closeReason } from '@tabsync/protocol'
import { Direction, Metric, type RelayMetrics } from '../http/metrics.js'
import type { RelayLimits } from '../limits/limits.js'
import type { Logger } from '../log.js'
import type { ChangeFrame, DocFrame, JoinFrame } from '@tabsync/protocol'
import { outboundCarriesContent } from '../protocol/parse-frame.js'
import type { PeerDirectory } from './peer-directory.js'
import { DEFAULT_HEARTBEAT_MS, Heartbeat, heartbeatAdvert } from './heartbeat.js'
import { PeerConnection, type ConnectionHost } from './peer-connection.js'
import { ChangeForwarder, type ChangeForwarderHost } from './change-forwarder.js'

/** Dependencies of {@link RelayServerAdapter}. */
export interface RelayServerAdapterOptions {
  readonly limits: RelayLimits
  readonly log: Logger
  readonly metrics: RelayMetrics
  readonly registry: OwnershipRegistry
  readonly directory: PeerDirectory
  /** Rights per role on every inbound change; absent: any device of a store writes anything. */
  readonly writeGuard?: WriteGuard
  /** A document was used (inbound or outbound): the idle unloader's clock. */
  readonly onActivity: (documentId: string) => void
  /** A promise to wait for before delivering a frame about this document (idle unload). */
  readonly beforeDeliver?: (documentId: string) => Promise<void> | undefined
  /** A device joined (after its `peer` answer went out): e.g. send a hub its revocation list. */
  readonly onJoined?: (connection: PeerConnection) => void
  /** Heartbeat interval (see network/heartbeat.ts). Default 2.5 s. */
  readonly keepAliveMs?: number
  /** The repo's side of the change fast path; absent: `tabsync-change` frames are not offered. */
  readonly changeFrames?: Pick<ChangeForwarderHost, 'handleOf' | 'isPeerOf'>
  /**
   * True when storage cannot keep this document's changes now (failing, and what it keeps in
   * memory at its bound): they are refused with `storageFull` before the repo sees them, so the
   * relay never acknowledges them. `storeIds`: the sending device's stores.
   */
  readonly writesRefused?: (documentId: string, storeIds: readonly string[]) => boolean
}

/**
 * automerge-repo network adapter for the relay's device sockets. Replaces the stock
 * WebSocketServerAdapter, which trusts the sender id a client claims and lets any client kick
 * another off by joining with its id. Sockets arrive here already authenticated (token checked at
 * the HTTP upgrade); this adapter binds each to its device's peer id, checks every document
 * frame against document ownership before the repo sees it, and checks every outbound frame
 * again before it leaves.
 */
export class RelayServerAdapter extends NetworkAdapter implements ConnectionHost {
  readonly limits: RelayLimits
  readonly log: Logger
  readonly #metrics: RelayMetrics
  readonly #registry: OwnershipRegistry
  readonly #directory: PeerDirectory
  readonly #writeGuard: WriteGuard | undefined
  readonly #onJoined: ((connection: PeerConnection) => void) | undefined
  readonly #onActivity: (documentId: string) => void
  readonly #beforeDeliver: (documentId: string) => Promise<void> | undefined
  readonly #connections = new Set<PeerConnection>()
  readonly #byPeer = new Map<string, PeerConnection>()
  #ready = false
  #resolveReady: () => void = () => {}
  readonly #readyPromise = new Promise<void>((resolve) => (this.#resolveReady = resolve))
  readonly #heartbeat: Heartbeat
  readonly #idAdmission = new IdAdmission()
  readonly #changeForwarder: ChangeForwarder | undefined
  readonly #writesRefused: (documentId: string, storeIds: readonly string[]) => boolean

  constructor(options: RelayServerAdapterOptions) {
    super()
    this.limits = options.limits
    this.log = options.log
    this.#metrics = options.metrics
    this.#registry = options.registry
    this.#directory = options.directory
    this.#writeGuard = options.writeGuard
    this.#onJoined = options.onJoined
    this.#onActivity = options.onActivity
    this.#beforeDeliver = options.beforeDeliver ?? (() => undefined)
    this.#writesRefused = options.writesRefused ?? (() => false)
    this.#heartbeat = new Heartbeat({
      intervalMs: options.keepAliveMs ?? DEFAULT_HEARTBEAT_MS,
      targets: () => this.#connections,
      senderId: () => this.peerId,
    })
    const repoSide = options.changeFrames
    this.#changeForwarder = repoSide
      ? new ChangeForwarder({
          log: this.log,
          metrics: this.#metrics,
          relayPeerId: () => this.peerId,
          handleOf: (id) => repoSide.handleOf(id),
          isPeerOf: (id, peerId) => repoSide.isPeerOf(id, peerId),
          admit: (connection, id, changes) => this.#admit(connection, id, 'sync', true, changes),
          connections: () => this.#connections,
          sendDocFrame: (connection, frame) => this.#sendChecked(connection, frame),
        })
      : undefined
  }

  isReady(): boolean {
    return this.#ready
  }

  whenReady(): Promise<void> {
    return this.#readyPromise
  }

  /** Called by the repo once its storage id is known: from here on sockets are served. */
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#ready = true
    this.#resolveReady()
  }

  relayPeerId(): string | undefined {
    return this.peerId
  }

  /** Open sockets. */
  get connectionCount(): number {
    return this.#connections.size
  }

  /** Takes an authenticated socket from the HTTP upgrade. */
  accept(socket: WebSocket, claims: TokenClaims, remoteAddress?: string): PeerConnection {
    const connection = new PeerConnection(socket, claims, this, remoteAddress)
    let sameDevice = 0
    for (const c of this.#connections) if (c.claims.deviceId === claims.deviceId) sameDevice += 1
    this.#connections.add(connection)
    if (sameDevice >= this.limits.connectionsPerDevice) {
      connection.close(CloseCode.tooManyConnections, { open: sameDevice })
    } else {
      this.log.debug(connection.logFields(), 'connection accepted')
    }
    return connection
  }

  onJoin(connection: PeerConnection, join: JoinFrame): void {
    const peerId = join.senderId as PeerId
    const previous = this.#byPeer.get(peerId)
    if (previous && previous !== connection) {
      // Same peer id, same device (binding checked): a reconnect that beat the old socket's close.
      this.#byPeer.delete(peerId)
      this.#directory.remove(peerId)
      previous.retire()
      this.emit('peer-disconnected', { peerId })
    }
    this.#byPeer.set(peerId, connection)
    const principal = connection.principal
    if (principal) this.#directory.add(principal)
    this.log.info(connection.logFields(), 'peer joined')
    // The device's storage id is not passed to the repo: with it, automerge-repo writes the sync
    // state of every (document, device) pair to storage after every message and reads it back when
    // the pair first syncs: a file write per device per change, about as many as all the document
    // writes together, for a shortcut only after a relay restart (a blank sync state costs one
    // more round trip of heads then). The device keeps its own record of what the relay has.
    const metadata: PeerMetadata = {}
    if (join.peerMetadata?.isEphemeral !== undefined)
      metadata.isEphemeral = join.peerMetadata.isEphemeral
    this.emit('peer-candidate', { peerId, peerMetadata: metadata })
    this.#sendTo(connection, {
      type: 'peer',
      senderId: this.peerId,
      targetId: peerId,
      peerMetadata: this.peerMetadata ?? {},
      selectedProtocolVersion: '1',
      ...heartbeatAdvert(connection.socket, this.#heartbeat.intervalMs),
      ...(this.#changeForwarder ? { changeFrames: true } : {}),
    })
    this.#onJoined?.(connection)
  }

  /** Sends a Tabsync control frame (not an automerge-repo message) on a joined connection. */
  sendControl(connection: PeerConnection, frame: Record<string, unknown>): void {
    if (connection.peerId === undefined) return
    this.#sendTo(connection, { ...frame, senderId: this.peerId, targetId: connection.peerId })
  }

  /** Open connections (joined or not). */
  connections(): readonly PeerConnection[] {
    return [...this.#connections]
  }

  /** Closes every connection whose token `refused` says no longer stands; returns how many. */
  closeWhere(refused: (claims: TokenClaims) => boolean, code: CloseCode): number {
    let closed = 0
    for (const connection of [...this.#connections]) {
      if (connection.closed || !refused(connection.claims)) continue
      connection.close(code)
      closed += 1
    }
    return closed
  }

  async onDocFrame(
    connection: PeerConnection,
    frame: DocFrame,
    carriesChanges: boolean,
    sync?: A.DecodedSyncMessage,
  ): Promise<void> {
    // The frame's sync message, decoded once at the edge (parse-frame) and reused below.
    const changes =
      frame.type === 'sync' || frame.type === 'request'
        ? (sync ?? A.decodeSyncMessage(frame.data)).changes
        : []
    if (!(await this.#admit(connection, frame.documentId, frame.type, carriesChanges, changes)))
      return
    this.emit('message', frame as unknown as Message)
  }

  /** A device's fast-path change: judged like a sync frame's, applied, then forwarded. */
  async onChangeFrame(connection: PeerConnection, frame: ChangeFrame): Promise<void> {
    // A relay built without the fast path never offered it; a device that sends anyway is ignored.
    await this.#changeForwarder?.receive(connection, frame)
  }

  /**
   * The checks every inbound document frame passes before the repo sees it: store-bound ids,
   * ownership, then rights per role on its changes. A `tabsync-change` frame passes them as a
   * `sync` frame with the same changes would. False: refused (closed, or denied and logged).
   */
  async #admit(
    connection: PeerConnection,
    documentId: string,
    type: DocFrame['type'],
    carriesChanges: boolean,
    changes: readonly Uint8Array[],
  ): Promise<boolean> {
    const principal = connection.principal
    if (!principal) return false
    const syncData = type === 'sync' || type === 'request'
    // Store-bound ids: checked before any claim is recorded, so a store that pushes first under
    // another store's id leaves no trace and the rightful store's content settles normally.
    // `request` frames count too: the repo applies any changes they carry.
    if (
      syncData &&
      (carriesChanges || changes.length > 0) &&
      !(await this.#idAdmission.admits(documentId, principal.storeIds))
    ) {
      if (!connection.closed) {
        connection.close(CloseCode.documentIdRefused, { documentId })
      }
      return false
    }
    const decision = await this.#registry.authorizeInbound(
      principal,
      documentId,
      carriesChanges,
      type !== 'ephemeral',
    )
    if (connection.closed) return false
    if (!decision.allowed) {
      this.#metrics.inc(Metric.denials, { reason: `document-${decision.reason}` })
      this.log.warn(
        { ...connection.logFields(), documentId, type, reason: decision.reason },
        'document access denied',
      )
      if (syncData) {
        this.#sendTo(connection, {
          type: 'doc-unavailable',
          senderId: this.peerId,
          targetId: principal.peerId,
          documentId,
        })
      }
      return false
    }
    // Before anything loads the document: a full storage refuses what it could not keep.
    if (syncData && changes.length > 0 && this.#writesRefused(documentId, principal.storeIds)) {
      connection.close(CloseCode.storageFull, { documentId })
      return false
    }
    this.#onActivity(documentId)
    const unloading = this.#beforeDeliver(documentId)
    if (unloading) await unloading
    if (connection.closed) return false
    // `request` frames carry sync data too, and the repo applies any changes in them.
    if (this.#writeGuard && syncData) {
      const verdict = await this.#writeGuard.check(principal, connection, documentId, changes)
      if (connection.closed) return false
      if (!verdict.allowed) {
        connection.close(CloseCode.forbiddenChange, {
          documentId,
          role: principal.role,
          kind: verdict.kind,
          refusal: verdict.reason,
          paths: verdict.paths.slice(0, 10),
        })
        return false
      }
    }
    return true
  }

  onClosed(connection: PeerConnection): void {
    this.#connections.delete(connection)
    const peerId = connection.peerId
    if (peerId !== undefined && this.#byPeer.get(peerId) === connection) {
      this.#byPeer.delete(peerId)
      this.#directory.remove(peerId, connection.principal)
      this.log.info(connection.logFields(), 'peer left')
      this.emit('peer-disconnected', { peerId: peerId as PeerId })
    }
  }

  onInbound(bytes: number): void {
    this.#metrics.inc(Metric.messages, Direction.in)
    this.#metrics.inc(Metric.bytes, Direction.in, bytes)
  }

  onRefused(_connection: PeerConnection, code: CloseCode): void {
    if (code !== CloseCode.replaced)
      this.#metrics.inc(Metric.denials, { reason: closeReason[code] })
  }

  /** Outbound: the repo's messages, checked against ownership once more before they leave. */
  send(message: Message): void {
    const connection = this.#byPeer.get(message.targetId)
    if (!connection) return
    this.#sendChecked(connection, message)
  }

  #sendChecked(connection: PeerConnection, message: Message | ChangeFrame): void {
    if ('data' in message && message.data && message.data.byteLength === 0)
      throw new Error('Tried to send a zero-length message')
    const documentId = message.documentId
    if (documentId !== undefined && message.type !== 'doc-unavailable') {
      const principal = connection.principal
      const record = this.#registry.peek(documentId)
      const allowed =
        principal !== undefined &&
        (record
          ? this.#registry.mayAccess(principal, documentId, true)
          : this.#registry.mayAccess(
              principal,
              documentId,
              message.type === 'tabsync-change' || outboundCarriesContent(message),
            ))
      if (!allowed) {
        this.#metrics.inc(Metric.denials, { reason: 'outbound-blocked' })
        this.log.warn(
          {
            ...connection.logFields(),
            documentId,
            type: message.type,
            owner: record?.state ?? record,
          },
          'outbound message blocked by ownership',
        )
        return
      }
      this.#onActivity(documentId)
    }
    this.#sendTo(connection, message)
  }

  #sendTo(connection: PeerConnection, message: object): void {
    const bytes = cbor.encode(message)
    if (connection.send(bytes)) {
      this.#metrics.inc(Metric.messages, Direction.out)
      this.#metrics.inc(Metric.bytes, Direction.out, bytes.byteLength)
    }
  }

  /** Closes every socket (code 1001) and stops. */
  disconnect(): void {
    this.#heartbeat.stop()
    for (const connection of [...this.#connections]) {
      connection.close(CloseCode.goingAway)
      connection.socket.terminate()
    }
  }
}
