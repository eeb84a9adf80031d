import {
  NetworkAdapter,
  cbor,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo/slim'
import { decodeBundle, type BundledDocument } from '@tabsync/core/internal'
import {
  CloseCode,
  DOCUMENTS_PATH,
  FrameType,
  TIME_PATH,
  changeFrameSchema,
  documentsRefusalSchema,
  type ChangeFrame,
  timeReplySchema,
  type DocumentsFloor,
  type DocumentsRequest,
  SYNC_SUBPROTOCOL,
  authorizationHeaders,
  backoffDelay,
  peerFrameSchema,
  tokenSubprotocols,
  type BackoffOptions,
} from '@tabsync/protocol'
import { z } from 'zod'
import { CloseOutcome, closeOutcome } from './close-outcome.js'
import { SilenceDeadline } from './liveness.js'
import { EndpointKind, EndpointState, type EndpointStatus, type SyncLink } from './sync-link.js'
import {
  SOCKET_OPEN,
  defaultSocketFactory,
  httpOrigin,
  isNode,
  type LinkSocket,
  type SocketFactory,
} from './socket.js'
import type { Logger } from '../log/logger.js'
import { SyncError, SyncErrorKind } from '../errors.js'

/** automerge-repo's websocket protocol version (`ProtocolV1` in the websocket adapter). */
const PROTOCOL_V1 = '1'

// The server's answer to our `join` is checked at the edge with the protocol's `peer` schema;
// other frames go to the repo, which validates its own messages.
const AnyFrame = z.object({ type: z.string(), senderId: z.string().optional() }).passthrough()
const FETCH_DOCUMENTS_TIMEOUT_MS = 15_000
/** Default of {@link WebSocketLinkOptions.connectTimeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000
/** Heartbeat intervals of silence after which a connection is dead (default silence timeout). */
export const SILENCE_HEARTBEATS = 3

/** Options of {@link WebSocketLink}. */
export interface WebSocketLinkOptions {
  /** `ws://` or `wss://` sync endpoint, e.g. `wss://relay.example/sync`. */
  readonly url: string
  /** Where failures the link works around go (default: none). */
  readonly logger?: Logger
  /** Hub or relay; see {@link inferEndpointKind} for the default. */
  readonly kind?: EndpointKind
  /**
   * JWT. Sent as a WebSocket subprotocol (`tabsync.token.<jwt>`) and as `Authorization: Bearer`
   * on HTTP requests; never in a URL, so it stays out of consoles and access logs.
   */
  readonly token?: string | undefined
  readonly backoff?: BackoffOptions
  /** Random source for jitter, [0, 1). */
  readonly random?: () => number
  /** Wall clock for `lastConnectedAt`. */
  readonly now?: () => number
  /** Opens sockets; tests replace it. */
  readonly createSocket?: SocketFactory
  /** HTTP client for `/time` and the browser's token probe. */
  readonly fetch?: typeof fetch
  /** The adapter reports ready after this long even if the endpoint is unreachable. Default 1 s. */
  readonly readyAfterMs?: number
  /**
   * A connection attempt that has not completed the handshake (TCP, upgrade, `join` -> `peer`)
   * within this is abandoned and retried with backoff. Default 5 s: a silent network otherwise
   * keeps an attempt "connecting" for minutes.
   */
  readonly connectTimeoutMs?: number
  /**
   * Once connected, the longest silence tolerated before the connection is declared dead and
   * replaced. Applies when the server advertises heartbeats (`heartbeatMs` in its `peer` frame,
   * as Tabsync relays do). Default: 3 heartbeat intervals (7.5 s with the relay's default 2.5 s).
   */
  readonly silenceTimeoutMs?: number
  /**
   * Other nodes of the same relay cluster: tried in turn when a connection to the current one
   * fails. A node closing with `CloseCode.moved` sends the link to the node serving the store.
   */
  readonly alternateUrls?: readonly string[]
  /**
   * Offer the change fast path (`tabsync-change` frames) in `join`. Default true; false speaks
   * exactly as a device from before it (the relay then sends it none).
   */
  readonly changeFrames?: boolean
}

/**
 * The kind of an endpoint given as a bare URL: `hub` for hosts on the local network
 * (`*.local`, `*.lan`, private IPv4 ranges), `relay` otherwise. Pass `{ url, kind }` to be explicit.
 */
export function inferEndpointKind(url: string): EndpointKind {
  const host = new URL(url).hostname
  if (/\.(local|lan|home\.arpa)$/i.test(host)) return EndpointKind.hub
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host)) return EndpointKind.hub
  return EndpointKind.relay
}

/**
 * A client network adapter for one hub or relay, speaking automerge-repo's websocket protocol
 * (CBOR frames; `join` -> `peer`, then repo messages). Unlike the stock client it reconnects
 * with exponential backoff and jitter, never throws from socket errors, stops on a 401 (or a fatal
 * close code: token expired, token of another device) and reports `token-rejected`, and reports its state for the device's status.
 * It carries the token as a subprotocol (never in the URL), gives every attempt a connect
 * deadline, and drops a joined socket that stays silent past the relay's heartbeats, so a silent
 * network shows as such within seconds instead of "open" for minutes.
 */
export class WebSocketLink extends NetworkAdapter implements SyncLink {
  readonly isSyncLink = true as const
  /** The URL in use: the given one, or a cluster node it was sent to or failed over to. */
  url: string
  #urls: readonly string[]
  #movedAt = -Infinity
  readonly kind: EndpointKind
  #options: WebSocketLinkOptions
  #socket: LinkSocket | undefined
  #state: EndpointState = EndpointState.closed
  #lastConnectedAt: number | null = null
  #remotePeerId: PeerId | undefined
  #attempt = 0
  #stopped = true
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #connectTimer: ReturnType<typeof setTimeout> | undefined
  #silence: SilenceDeadline | undefined
  #ready = false
  /** Kept closed by {@link setOffline}. */
  #offline = false
  #resolveReady: (() => void) | undefined
  #readyPromise = new Promise<void>((resolve) => (this.#resolveReady = resolve))
  #listeners = new Set<() => void>()
  /** The connected relay said in `peer` that it takes `tabsync-change` frames. */
  #remoteTakesChanges = false
  /** What the server's last `/time` answer named (undefined before one). */
  #features: readonly string[] | undefined
  readonly #changeListeners = new Set<(frame: ChangeFrame) => void>()
  /** Reconnect delays actually used, most recent last (bounded; for diagnostics and tests). */
  readonly delays: number[] = []

  constructor(options: WebSocketLinkOptions) {
    super()
    this.#options = options
    this.url = options.url
    this.#urls = [options.url, ...(options.alternateUrls ?? [])]
    this.kind = options.kind ?? inferEndpointKind(options.url)
  }

  isReady(): boolean {
    return this.#ready
  }

  whenReady(): Promise<void> {
    return this.#readyPromise
  }

  #forceReady(): void {
    if (this.#ready) return
    this.#ready = true
    this.#resolveReady?.()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    if (this.#offline) {
      // Offline on purpose: remembered for setOffline(false); finds must not wait for it.
      this.#forceReady()
      return
    }
    this.#stopped = false
    this.#attempt = 0
    setTimeout(() => this.#forceReady(), this.#options.readyAfterMs ?? 1000)
    void this.#open()
  }

  disconnect(): void {
    this.#stopped = true
    clearTimeout(this.#retryTimer)
    this.#stopWatching()
    const socket = this.#socket
    this.#socket = undefined
    if (socket) {
      detach(socket)
      closeQuietly(socket, CloseCode.normal)
    }
    this.#lostPeer()
    if (this.#state !== EndpointState.tokenRejected && this.#state !== EndpointState.refused)
      this.#setState(EndpointState.closed)
  }

  /**
   * Offline on purpose (`true`, e.g. the browser fired `offline`): closes the socket now and
   * stays closed whatever the backoff says. `false` connects at once, without waiting out a
   * backoff or a silence deadline. A link whose token was rejected stays stopped.
   */
  setOffline(offline: boolean): void {
    if (this.#offline === offline) return
    this.#offline = offline
    if (offline) {
      this.disconnect()
      this.#forceReady()
    } else if (
      this.peerId &&
      this.#state !== EndpointState.tokenRejected &&
      this.#state !== EndpointState.refused
    ) {
      this.connect(this.peerId, this.peerMetadata)
    }
  }

  /**
   * Skips the current backoff wait and connects now (e.g. when the browser fires `online`).
   * Does nothing while connected, after `disconnect()`, or after the token was rejected.
   */
  reconnectNow(): void {
    if (this.#stopped || this.#socket || !this.peerId) return
    clearTimeout(this.#retryTimer)
    this.#attempt = 0
    void this.#open()
  }

  send(message: Message): void {
    const socket = this.#socket
    // Without a connection the message is dropped: automerge-repo restarts sync with the peer
    // when it reconnects (peer-disconnected, then peer-candidate), so nothing is lost.
    if (!socket || socket.readyState !== SOCKET_OPEN || !this.#remotePeerId) return
    if ('data' in message && message.data?.byteLength === 0) return
    socket.send(toArrayBuffer(cbor.encode(message)))
  }

  /**
   * Sends a document's new changes ahead of the sync exchange (the change fast path), if the
   * link is joined to a relay that takes them. False when not sent: sync delivers them anyway.
   */
  sendChanges(documentId: string, changes: readonly Uint8Array[]): boolean {
    const socket = this.#socket
    const relay = this.#remotePeerId
    if (!socket || socket.readyState !== SOCKET_OPEN || !relay || !this.#remoteTakesChanges)
      return false
    const frame: ChangeFrame = {
      type: FrameType.change,
      senderId: this.peerId as string,
      targetId: relay,
      documentId,
      changes: changes as ChangeFrame['changes'],
    }
    socket.send(toArrayBuffer(cbor.encode(frame)))
    return true
  }

  /** Calls `cb` with every well-formed `tabsync-change` frame the relay forwards. */
  onChangeFrame(cb: (frame: ChangeFrame) => void): () => void {
    this.#changeListeners.add(cb)
    return () => this.#changeListeners.delete(cb)
  }

  endpoints(): readonly EndpointStatus[] {
    return [
      {
        url: this.url,
        kind: this.kind,
        state: this.#state,
        lastConnectedAt: this.#lastConnectedAt,
        peerId: this.#remotePeerId,
        ...(this.#features ? { features: this.#features } : {}),
      },
    ]
  }

  onEndpointsChange(cb: () => void): () => void {
    this.#listeners.add(cb)
    return () => this.#listeners.delete(cb)
  }

  kindOf(peerId: PeerId): EndpointKind | undefined {
    return peerId === this.#remotePeerId ? this.kind : undefined
  }

  /**
   * `GET /time` on the endpoint's http(s) origin (the protocol's `timeReplySchema`); the features
   * it names become the endpoint's `features`. Rejects when unreachable, or with an `unavailable`
   * SyncError when refused or malformed.
   */
  async referenceTime(): Promise<number> {
    const f = this.#options.fetch ?? globalThis.fetch
    const res = await f(`${httpOrigin(this.url)}${TIME_PATH}`, { cache: 'no-store' })
    if (!res.ok) throw refused(TIME_PATH, res.status, undefined)
    const reply = timeReplySchema.safeParse(await res.json())
    if (!reply.success) throw refused(TIME_PATH, res.status, reply.error)
    const features = reply.data.features ?? []
    if (features.join() !== this.#features?.join()) {
      this.#features = features
      for (const cb of [...this.#listeners]) cb()
    }
    return reply.data.now
  }

  /**
   * `POST /documents` on the endpoint's http(s) origin (the protocol's `documentsRequestSchema`,
   * answered by a bundle). Rejects when unreachable, or with an `unavailable` SyncError whose
   * `details.reason` is the relay's `DocumentsRefusal` when refused.
   */
  async fetchDocuments(ids: readonly string[], floor?: DocumentsFloor): Promise<BundledDocument[]> {
    const f = this.#options.fetch ?? globalThis.fetch
    const request: DocumentsRequest = { ids: [...ids], ...(floor ? { floor } : {}) }
    const res = await f(`${httpOrigin(this.url)}${DOCUMENTS_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorizationHeaders(this.#options.token) },
      body: JSON.stringify(request),
      cache: 'no-store',
      // A black-holed network must not hold a device's catch-up for long: the sync path remains.
      signal: AbortSignal.timeout(FETCH_DOCUMENTS_TIMEOUT_MS),
    })
    if (!res.ok) {
      const body = documentsRefusalSchema.safeParse(await res.json().catch(() => undefined))
      throw refused(
        DOCUMENTS_PATH,
        res.status,
        undefined,
        body.success ? body.data.error : undefined,
      )
    }
    return decodeBundle(new Uint8Array(await res.arrayBuffer()))
  }

  async #open(): Promise<void> {
    if (this.#stopped) return
    this.#setState(EndpointState.connecting)
    let opened
    try {
      opened = await (this.#options.createSocket ?? defaultSocketFactory)(
        this.url,
        tokenSubprotocols(this.#options.token),
      )
    } catch (err) {
      // Routine while offline: debug only; the status shows the endpoint as down.
      this.#options.logger?.debug({ err, endpoint: this.url }, 'connect failed; retrying')
      this.#scheduleRetry()
      return
    }
    if (this.#stopped) {
      detach(opened.socket)
      closeQuietly(opened.socket, CloseCode.normal)
      return
    }
    const socket = opened.socket
    this.#socket = socket
    socket.binaryType = 'arraybuffer'
    let didOpen = false
    // From the socket's creation: a silent network accepts TCP (or not even that) and then never
    // answers the upgrade, so `onopen` may never come.
    clearTimeout(this.#connectTimer)
    this.#connectTimer = setTimeout(() => {
      if (!this.#remotePeerId && this.#socket === socket) this.#abandon(socket)
    }, this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)
    socket.onopen = () => {
      didOpen = true
      this.#send(socket, {
        type: 'join',
        senderId: this.peerId,
        peerMetadata: this.peerMetadata,
        supportedProtocolVersions: [PROTOCOL_V1],
        ...(this.#options.changeFrames === false ? {} : { changeFrames: true }),
      })
    }
    socket.onmessage = (event) => this.#receive(socket, event.data)
    socket.onerror = () => {
      // Errors are followed by close; the stock adapter rethrows here, which crashes Node.
    }
    socket.onclose = (event) => {
      if (this.#socket !== socket) return
      detach(socket)
      this.#stopWatching()
      this.#socket = undefined
      const joined = this.#remotePeerId !== undefined
      this.#lostPeer()
      this.#forceReady()
      if (this.#stopped) return
      const outcome = closeOutcome(event.code ?? 0)
      if (
        opened.refusedStatus() === 401 ||
        outcome === CloseOutcome.tokenRejected ||
        outcome === CloseOutcome.refused
      ) {
        this.#rejectToken(outcome === CloseOutcome.refused)
        return
      }
      if (outcome === CloseOutcome.follow && event.reason) {
        this.#follow(event.reason)
        return
      }
      // A node that cannot be reached: the next attempt goes to the next URL of the cluster.
      if (!joined) this.#rotate()
      if (!didOpen && !isNode()) {
        void this.#probeToken().then((rejected) =>
          rejected ? this.#rejectToken() : this.#scheduleRetry(),
        )
        return
      }
      this.#scheduleRetry()
    }
  }

  #receive(socket: LinkSocket, data: unknown): void {
    if (this.#socket !== socket) return
    let frame: unknown
    try {
      const bytes =
        data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data as ArrayBufferLike)
      frame = cbor.decode(bytes)
    } catch (err) {
      this.#options.logger?.warn({ err, endpoint: this.url }, 'undecodable frame dropped')
      return
    }
    this.#silence?.heard()
    const type = (frame as { type?: unknown } | null)?.type
    if (type === FrameType.heartbeat) return
    // Only a `peer` frame is parsed as one: zod's failed parse of every sync and change frame
    // cost about 40 µs each here (building its issues), several times a successful parse.
    const peer = type === FrameType.peer ? peerFrameSchema.safeParse(frame) : undefined
    if (peer?.success) {
      clearTimeout(this.#connectTimer)
      this.#watchSilence(socket, peer.data.heartbeatMs)
      this.#remotePeerId = peer.data.senderId as PeerId
      this.#remoteTakesChanges =
        peer.data.changeFrames === true && this.#options.changeFrames !== false
      this.#attempt = 0
      this.#lastConnectedAt = (this.#options.now ?? Date.now)()
      this.#forceReady()
      this.#setState(EndpointState.open)
      this.emit('peer-candidate', {
        peerId: this.#remotePeerId,
        peerMetadata: (peer.data.peerMetadata ?? {}) as unknown as PeerMetadata,
      })
      return
    }
    if (type === FrameType.error) return
    if (type === FrameType.change) return this.#receiveChanges(frame)
    const any = AnyFrame.safeParse(frame)
    if (!any.success || !this.#remotePeerId) return
    this.emit('message', any.data as unknown as Message)
  }

  #receiveChanges(frame: unknown): void {
    const parsed = changeFrameSchema.safeParse(frame)
    if (!parsed.success || parsed.data.senderId !== this.#remotePeerId) {
      // Bad input from the relay loses nothing (sync still delivers): say so and keep serving.
      const err = new SyncError(SyncErrorKind.malformed, 'malformed change frame ignored', {
        endpoint: this.url,
      })
      this.#options.logger?.warn({ err, endpoint: this.url }, err.message)
      return
    }
    for (const cb of [...this.#changeListeners]) cb(parsed.data)
  }

  #send(socket: LinkSocket, frame: Record<string, unknown>): void {
    if (socket.readyState === SOCKET_OPEN) socket.send(toArrayBuffer(cbor.encode(frame)))
  }

  /**
   * Holds a joined connection to a silence deadline when the server promised heartbeats (it
   * selected our subprotocol and advertised an interval); a server that promised nothing (a
   * stock automerge-repo server) cannot be judged by silence, only by its socket closing.
   */
  #watchSilence(socket: LinkSocket, heartbeatMs: number | undefined): void {
    this.#silence?.stop()
    this.#silence = undefined
    if (heartbeatMs === undefined || socket.protocol !== SYNC_SUBPROTOCOL) return
    const timeoutMs = this.#options.silenceTimeoutMs ?? heartbeatMs * SILENCE_HEARTBEATS
    this.#silence = new SilenceDeadline(timeoutMs, () => {
      if (this.#socket === socket) this.#abandon(socket)
    })
    this.#silence.start()
  }

  #stopWatching(): void {
    clearTimeout(this.#connectTimer)
    this.#silence?.stop()
    this.#silence = undefined
  }

  /**
   * Gives up on a socket that stopped answering: forgets it at once and retries with backoff.
   * Waiting for its `close` event is no option: a browser fires it only after the closing
   * handshake, which a silent peer never completes.
   */
  #abandon(socket: LinkSocket): void {
    if (this.#socket !== socket) return
    detach(socket)
    this.#stopWatching()
    this.#socket = undefined
    if (socket.terminate) socket.terminate()
    else closeQuietly(socket, CloseCode.goingAway)
    this.#lostPeer()
    this.#forceReady()
    this.#scheduleRetry()
  }

  /**
   * In a browser a refused upgrade is indistinguishable from a network error, so after a socket
   * that never opened we ask the same endpoint over plain HTTP with the token in an
   * `Authorization` header: a 401 there means the token is bad (the relay answers 401 to a bad
   * token on `GET /sync` before anything else).
   */
  async #probeToken(): Promise<boolean> {
    try {
      const f = this.#options.fetch ?? globalThis.fetch
      const u = new URL(this.url)
      u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
      const res = await f(u.toString(), {
        cache: 'no-store',
        headers: authorizationHeaders(this.#options.token),
        signal: AbortSignal.timeout(FETCH_DOCUMENTS_TIMEOUT_MS),
      })
      return res.status === 401
    } catch (err) {
      this.#options.logger?.debug({ err, endpoint: this.url }, 'token check not answered')
      return false
    }
  }

  /** Goes to the node a cluster node named; at once, unless it bounced us within the last second. */
  #follow(url: string): void {
    this.url = url
    const now = (this.#options.now ?? Date.now)()
    const bounced = now - this.#movedAt < 1000
    this.#movedAt = now
    if (bounced) this.#scheduleRetry()
    else {
      this.#attempt = 0
      void this.#open()
    }
  }

  #rotate(): void {
    if (this.#urls.length < 2) return
    const i = this.#urls.indexOf(this.url)
    this.url = this.#urls[(i + 1) % this.#urls.length] ?? this.#urls[0]!
  }

  /** Stops retrying: the token is refused, or (`forbidden`) the relay refused one of our changes,
   *  which every reconnect would resend and see refused again. */
  #rejectToken(forbidden = false): void {
    this.#stopped = true
    clearTimeout(this.#retryTimer)
    this.#setState(forbidden ? EndpointState.refused : EndpointState.tokenRejected)
  }

  #scheduleRetry(): void {
    if (this.#stopped) return
    this.#setState(EndpointState.closed)
    const delay = backoffDelay(this.#attempt++, this.#options.backoff, this.#options.random)
    this.delays.push(delay)
    if (this.delays.length > 50) this.delays.shift()
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => void this.#open(), delay)
  }

  #lostPeer(): void {
    const peerId = this.#remotePeerId
    if (!peerId) return
    this.#remotePeerId = undefined
    this.#remoteTakesChanges = false
    this.emit('peer-disconnected', { peerId })
  }

  #setState(state: EndpointState): void {
    if (this.#state === state) return
    this.#state = state
    for (const cb of [...this.#listeners]) cb()
  }
}

function detach(socket: LinkSocket): void {
  socket.onopen = null
  socket.onclose = null
  socket.onmessage = null
  // Not null: `ws` emits an error when a socket still connecting is closed or terminated, and an
  // error without a listener is thrown (an uncaught exception in Node).
  socket.onerror = () => {}
}

function closeQuietly(socket: LinkSocket, code: number): void {
  try {
    socket.close(code)
  } catch {
    // closing a socket that never opened may throw in some runtimes; it is gone either way
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/** An HTTP answer of the endpoint that is not what the protocol promises. */
function refused(path: string, status: number, cause: unknown, reason?: string): SyncError {
  return new SyncError(
    SyncErrorKind.unavailable,
    `${path} answered ${status}${reason ? ` (${reason})` : cause ? ' (malformed)' : ''}`,
    { path, status, ...(reason ? { reason } : {}) },
    cause === undefined ? undefined : { cause },
  )
}
