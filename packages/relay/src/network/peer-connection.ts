import type { DecodedSyncMessage } from '@automerge/automerge'
import type WebSocket from 'ws'
import { devicePrincipal, type Principal } from '../access/principal.js'
import type { TokenClaims } from '../auth/claims.js'
import { isPeerOfDevice } from '../auth/peer-binding.js'
import {
  CloseCode,
  clientFrameSchema,
  closeReason,
  type ChangeFrame,
  type ClientFrame,
  type DocFrame,
  type JoinFrame,
} from '@tabsync/protocol'
import { toBytes } from './raw-data.js'
import { TokenBucket } from '../limits/rate-limit.js'
import type { RelayLimits } from '../limits/limits.js'
import type { Logger } from '../log.js'
import { parseFrame } from '../protocol/parse-frame.js'

/** What a connection asks of the adapter that owns it. */
export interface ConnectionHost {
  readonly limits: RelayLimits
  readonly log: Logger
  /** The relay's own peer id (frames must be addressed to it). */
  relayPeerId(): string | undefined
  onJoin(connection: PeerConnection, join: JoinFrame): void
  /** A validated document frame, in arrival order; resolves once handled. */
  onDocFrame(
    connection: PeerConnection,
    frame: DocFrame,
    carriesChanges: boolean,
    sync: DecodedSyncMessage | undefined,
  ): Promise<void>
  /** A validated `tabsync-change` frame, in the same order as document frames. */
  onChangeFrame(connection: PeerConnection, frame: ChangeFrame): Promise<void>
  onClosed(connection: PeerConnection): void
  onInbound(bytes: number): void
  onRefused(connection: PeerConnection, code: CloseCode): void
}

/**
 * One device socket after a successful upgrade: enforces the frame size, the message rate, the
 * join deadline, the peer id binding and the frame schema, then hands document frames to the
 * host one at a time (ownership checks are async; order must be kept).
 */
export class PeerConnection {
  readonly socket: WebSocket
  readonly claims: TokenClaims
  readonly remoteAddress: string | undefined
  #peerId: string | undefined
  #principal: Principal | undefined
  #closed = false
  #queue: Promise<void> = Promise.resolve()
  /** Bytes of frames waiting for their ownership check: bounded, or a fast sender could make the
   *  relay hold its whole burst (up to messageBurst x maxFrameBytes) in memory. */
  #queuedBytes = 0
  readonly #host: ConnectionHost
  readonly #bucket: TokenBucket
  readonly #timers: ReturnType<typeof setTimeout>[] = []
  alive = true
  /** The device said in `join` that it reads `tabsync-change` frames. */
  readsChangeFrames = false

  constructor(
    socket: WebSocket,
    claims: TokenClaims,
    host: ConnectionHost,
    remoteAddress?: string,
  ) {
    this.socket = socket
    this.claims = claims
    this.remoteAddress = remoteAddress
    this.#host = host
    this.#bucket = new TokenBucket(host.limits.messagesPerSecond, host.limits.messageBurst)

    this.#timers.push(
      setTimeout(() => {
        if (this.#peerId === undefined) this.close(CloseCode.authTimeout)
      }, host.limits.authTimeoutMs),
    )
    // setTimeout overflows past 2^31-1 ms (~24.8 days): cap, tokens live hours anyway.
    const untilExpiry = Math.min(Math.max(0, claims.expiresAt - Date.now()), 2 ** 31 - 1)
    this.#timers.push(setTimeout(() => this.close(CloseCode.tokenExpired), untilExpiry))

    socket.on('message', (data, isBinary) => this.#onFrame(data, isBinary))
    socket.on('pong', () => (this.alive = true))
    socket.on('close', () => this.#onClose())
    socket.on('error', (err) => this.#host.log.debug({ err, ...this.logFields() }, 'socket error'))
  }

  get peerId(): string | undefined {
    return this.#peerId
  }

  get principal(): Principal | undefined {
    return this.#principal
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Log fields naming this connection. */
  logFields(): Record<string, unknown> {
    return {
      deviceId: this.claims.deviceId,
      storeIds: this.claims.storeIds,
      peerId: this.#peerId,
      remote: this.remoteAddress,
    }
  }

  /** Sends raw bytes if the socket is open. */
  send(bytes: Uint8Array): boolean {
    if (this.#closed || this.socket.readyState !== this.socket.OPEN) return false
    this.socket.send(bytes)
    return true
  }

  /** Closes this socket (only this one) with a named code; counted and logged when a refusal. */
  close(code: CloseCode, detail?: Record<string, unknown>): void {
    if (this.#closed) return
    this.#closed = true
    if (code !== CloseCode.goingAway) {
      this.#host.onRefused(this, code)
      // A full storage is logged once per episode (storage/kept-writes-bound.ts), not per device.
      const level = code === CloseCode.storageFull ? 'debug' : 'warn'
      this.#host.log[level](
        { ...this.logFields(), code, reason: closeReason[code], ...detail },
        'closing connection',
      )
    }
    try {
      this.socket.close(code, closeReason[code])
    } catch {
      this.socket.terminate()
    }
    // A client that ignores the close handshake must not keep the slot.
    const kill = setTimeout(() => this.socket.terminate(), 2_000)
    kill.unref()
    this.#cleanup()
  }

  /**
   * Another socket joined with this peer id (a reconnect that beat this socket's close). Closes
   * this socket with 4010 but keeps handling the frames already on their way: a client that
   * switched sockets may have sent a request on this one just before, and its answer goes to the
   * new socket (the peer id now routes there). Dropping it would leave the client waiting.
   */
  retire(): void {
    if (this.#closed) return
    this.#host.log.info({ ...this.logFields(), code: CloseCode.replaced }, 'connection replaced')
    try {
      this.socket.close(CloseCode.replaced, closeReason[CloseCode.replaced])
    } catch {
      this.socket.terminate()
    }
    const kill = setTimeout(() => this.socket.terminate(), 2_000)
    kill.unref()
  }

  #onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#closed) return
    const bytes = toBytes(data)
    this.#host.onInbound(bytes.byteLength)
    if (bytes.byteLength > this.#host.limits.maxFrameBytes) {
      return this.close(CloseCode.frameTooLarge, { bytes: bytes.byteLength })
    }
    if (!this.#bucket.take()) return this.close(CloseCode.rateLimited)
    if (!isBinary) return this.close(CloseCode.malformedFrame, { detail: 'text-frame' })
    const parsed = parseFrame<ClientFrame>(bytes, clientFrameSchema)
    if (!parsed.ok) return this.close(CloseCode.malformedFrame, { detail: parsed.reason })
    const message = parsed.message

    if (this.#peerId === undefined) {
      if (message.type !== 'join') return this.close(CloseCode.protocolError, { detail: 'no-join' })
      if (!isPeerOfDevice(message.senderId, this.claims.deviceId)) {
        return this.close(CloseCode.forgedSender, { claimed: message.senderId })
      }
      const versions = message.supportedProtocolVersions
      if (versions !== undefined && !versions.includes('1')) {
        return this.close(CloseCode.protocolError, { detail: 'protocol-version' })
      }
      this.#peerId = message.senderId
      this.readsChangeFrames = message.changeFrames === true
      this.#principal = devicePrincipal(this.claims, message.senderId)
      this.#host.onJoin(this, message)
      return
    }
    if (message.senderId !== this.#peerId) {
      return this.close(CloseCode.forgedSender, { claimed: message.senderId })
    }
    if (message.type === 'join')
      return this.close(CloseCode.protocolError, { detail: 'second-join' })
    if (message.targetId !== this.#host.relayPeerId()) {
      return this.close(CloseCode.protocolError, {
        detail: 'wrong-target',
        targetId: message.targetId,
      })
    }
    // Remote-heads gossip is off on the relay: nothing to do with these.
    if (message.type === 'remote-subscription-change' || message.type === 'remote-heads-changed')
      return
    const carriesChanges = parsed.carriesChanges
    const sync = parsed.sync
    const handle =
      message.type === 'tabsync-change'
        ? () => this.#host.onChangeFrame(this, message)
        : () => this.#host.onDocFrame(this, message, carriesChanges, sync)
    const size = bytes.byteLength
    this.#queuedBytes += size
    if (this.#queuedBytes > this.#host.limits.maxFrameBytes * 4) {
      return this.close(CloseCode.rateLimited, {
        detail: 'backlog',
        queuedBytes: this.#queuedBytes,
      })
    }
    this.#queue = this.#queue
      .then(() => (this.#closed ? undefined : handle()))
      .catch((err: unknown) =>
        this.#host.log.error({ err, ...this.logFields() }, 'frame handling failed'),
      )
      .finally(() => (this.#queuedBytes -= size))
  }

  #onClose(): void {
    this.#closed = true
    this.#cleanup()
    this.#host.onClosed(this)
  }

  #cleanup(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.length = 0
  }
}
