import {
  NetworkAdapter,
  cbor,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo'
import {
  CloseCode,
  FrameType,
  REVOCATIONS_FRAME,
  serverFrameSchema,
  type ServerFrame,
  ProtocolError,
  ProtocolErrorKind,
  backoffDelay,
  decodeTokenClaimsUnverified,
  redactUrl,
  tokenSubprotocols,
  type BackoffOptions,
  type TokenClaimsPayload,
} from '@tabsync/protocol'
import WebSocket from 'ws'
import type { OwnershipRegistry } from './access/ownership.js'
import type { Principal } from './access/principal.js'
import { Direction, Metric, type RelayMetrics } from './http/metrics.js'
import type { Logger } from './log.js'
import { outboundCarriesContent, parseFrame } from './protocol/parse-frame.js'
import { RelayError, RelayErrorKind } from './errors.js'
import type { PeerDirectory } from './network/peer-directory.js'
import { LinkWatch } from './network/link-watch.js'
import { toBytes } from './network/raw-data.js'

/** Reconnect backoff of the hub's upstream link: 250 ms doubling to 30 s, half of it random
 *  (the protocol's backoff, starting faster: a hub has one link and should be back soon). */
export const DEFAULT_UPSTREAM_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000 }

/** What a hub learns from its own upstream token (read, not verified: the hub may not hold the
 *  upstream relay's secret). */
export interface UpstreamIdentity {
  readonly deviceId: string
  readonly storeIds: readonly string[]
}

/** Reads the device id and stores from an upstream token. */
export function upstreamIdentity(token: string): UpstreamIdentity {
  let claims: TokenClaimsPayload
  try {
    claims = decodeTokenClaimsUnverified(token)
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e
    throw new RelayError(
      RelayErrorKind.invalidInput,
      'bad-upstream-token',
      e.kind === ProtocolErrorKind.notAJwt
        ? 'Upstream token is not a JWT'
        : 'Upstream token claims have the wrong shape',
      { cause: e },
    )
  }
  if (claims.role !== 'hub') {
    throw new RelayError(
      RelayErrorKind.invalidInput,
      'bad-upstream-token',
      'Upstream token must have role hub',
    )
  }
  return { deviceId: claims.sub, storeIds: claims.stores }
}

/** Dependencies of {@link UpstreamAdapter}. */
export interface UpstreamAdapterOptions {
  /** `ws(s)://relay/sync`. The token travels as a WebSocket subprotocol, never in the URL. */
  readonly url: string
  /**
   * The other nodes of a relay cluster, tried in turn when the current one cannot be reached or
   * refuses (503). A node closing with `CloseCode.moved` sends the link to the store's owner.
   */
  readonly alternateUrls?: readonly string[]
  readonly token: string
  readonly identity: UpstreamIdentity
  readonly log: Logger
  readonly metrics: RelayMetrics
  readonly registry: OwnershipRegistry
  readonly directory: PeerDirectory
  readonly maxFrameBytes: number
  readonly backoff?: BackoffOptions
  readonly onActivity: (documentId: string) => void
  /** A promise to wait for before delivering a frame about this document (idle unload). */
  readonly beforeDeliver?: (documentId: string) => Promise<void> | undefined
  /** The link is up (peer handshake done). */
  readonly onConnected?: () => void
  /** Connect deadline (TCP, upgrade, join -> peer), ms. Default 5 s. */
  readonly connectTimeoutMs?: number
  /** Silence after which the link is dropped and redialled, ms. Default 7.5 s. */
  readonly silenceTimeoutMs?: number
  /**
   * The adapter reports ready after this long even while the upstream does not answer. Default
   * 1 s. automerge-repo asks peers for a document it lacks only once every network adapter is
   * ready: an upstream that hangs must not stop the hub from taking documents from its tills.
   */
  readonly readyAfterMs?: number
  /** The upstream sent its revocation list for the hub's stores (entries not yet validated). */
  readonly onRevocations?: (revocations: readonly unknown[]) => void
}

/**
 * The hub's link to the upstream (cloud) relay: an automerge-repo network adapter that keeps one
 * WebSocket open whenever the upstream is reachable, reconnecting with exponential backoff and
 * jitter (the stock client adapter retries every 5 s forever and throws on a 401). Frames from
 * upstream are validated and ownership-checked like device frames, with the upstream trusted for
 * the hub's own stores only. Against a relay cluster it follows `moved` (4300) to the node that
 * serves its stores and fails over along its URL list, as `@tabsync/sync` devices do.
 */
export class UpstreamAdapter extends NetworkAdapter {
  readonly #options: UpstreamAdapterOptions
  readonly #backoff: BackoffOptions
  #socket: WebSocket | undefined
  #remote: Principal | undefined
  #attempts = 0
  #retry: ReturnType<typeof setTimeout> | undefined
  #stopped = false
  #queue: Promise<void> = Promise.resolve()
  #ready = false
  #resolveReady: () => void = () => {}
  readonly #readyPromise = new Promise<void>((resolve) => (this.#resolveReady = resolve))
  readonly #watch: LinkWatch
  /** The given URL, then the alternates: where a link that cannot connect goes next. */
  readonly #urls: readonly string[]
  /** The URL in use: a listed one, or the owner a cluster node sent the link to. */
  #url: string
  #movedAt = -Infinity

  constructor(options: UpstreamAdapterOptions) {
    super()
    this.#options = options
    this.#backoff = options.backoff ?? DEFAULT_UPSTREAM_BACKOFF
    this.#urls = [options.url, ...(options.alternateUrls ?? [])]
    this.#url = options.url
    this.#watch = new LinkWatch({
      ...(options.connectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.silenceTimeoutMs === undefined
        ? {}
        : { silenceTimeoutMs: options.silenceTimeoutMs }),
      onDead: (why) => {
        const socket = this.#socket
        if (!socket) return
        this.#options.log.warn(
          { upstream: redactUrl(this.#url), why },
          why === 'connect' ? 'upstream did not answer in time' : 'upstream went silent',
        )
        // terminate(): a silent peer never completes a closing handshake. The close event
        // then drops the peer (status, /healthz) and schedules the redial.
        socket.terminate()
      },
    })
  }

  /** The upstream URL in use (a cluster node may have sent the link elsewhere). */
  get url(): string {
    return this.#url
  }

  /** True while the upstream handshake is done and the socket open. */
  get connected(): boolean {
    return this.#remote !== undefined
  }

  isReady(): boolean {
    return this.#ready
  }

  /**
   * Ready after the first attempt either way, or after `readyAfterMs` while the attempt hangs:
   * a find must not wait for an upstream that is down or silent.
   */
  whenReady(): Promise<void> {
    return this.#readyPromise
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#stopped = false
    setTimeout(() => this.#markReady(), this.#options.readyAfterMs ?? 1_000).unref()
    this.#open()
  }

  disconnect(): void {
    this.#stopped = true
    if (this.#retry) clearTimeout(this.#retry)
    this.#watch.stop()
    this.#socket?.terminate()
    this.#dropRemote()
    this.#markReady()
  }

  send(message: Message): void {
    const socket = this.#socket
    const remote = this.#remote
    if (!socket || !remote || socket.readyState !== WebSocket.OPEN) return
    if (message.data && message.data.byteLength === 0)
      throw new Error('Tried to send a zero-length message')
    const documentId = message.documentId
    if (documentId !== undefined && message.type !== 'doc-unavailable') {
      const record = this.#options.registry.peek(documentId)
      const content = record ? true : outboundCarriesContent(message)
      if (!this.#options.registry.mayAccess(remote, documentId, content)) {
        this.#options.metrics.inc(Metric.denials, { reason: 'outbound-blocked' })
        return
      }
      this.#options.onActivity(documentId)
    }
    this.#write(socket, message)
  }

  #write(socket: WebSocket, message: object): void {
    const bytes = cbor.encode(message)
    socket.send(bytes)
    this.#options.metrics.inc(Metric.messages, Direction.out)
    this.#options.metrics.inc(Metric.bytes, Direction.out, bytes.byteLength)
  }

  #open(): void {
    if (this.#stopped) return
    const socket = new WebSocket(this.#url, tokenSubprotocols(this.#options.token), {
      maxPayload: this.#options.maxFrameBytes + 64 * 1024,
    })
    this.#socket = socket
    this.#watch.connecting(socket)
    const log = this.#options.log.child({ upstream: redactUrl(this.#url) })
    let joined = false

    socket.on('open', () => {
      this.#write(socket, {
        type: 'join',
        senderId: this.peerId,
        peerMetadata: this.peerMetadata ?? {},
        supportedProtocolVersions: ['1'],
      })
    })
    socket.on('unexpected-response', (_req, res) => {
      log.error(
        { status: res.statusCode },
        res.statusCode === 401
          ? 'upstream rejected the hub token'
          : 'upstream refused the connection',
      )
      socket.terminate()
    })
    socket.on('message', (data, isBinary) => {
      this.#watch.heard()
      if (!isBinary) return
      this.#onFrame(socket, toBytes(data), log)
      if (this.#remote) joined = true
    })
    socket.on('error', (err) => log.debug({ err }, 'upstream socket error'))
    socket.on('close', (code, reason) => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.#watch.stop()
      if (this.#remote) log.warn({ code, reason: reason.toString() }, 'upstream link lost')
      this.#dropRemote()
      this.#markReady()
      const target = reason.toString()
      if (code === CloseCode.moved) {
        if (/^wss?:\/\//.test(target)) return this.#follow(target, log)
        log.warn({ code }, 'upstream said moved without a ws:// URL: retrying')
      } else if (!joined) {
        // A node that cannot be reached or refuses (503): the next attempt goes to the next URL.
        this.#rotate()
      }
      this.#schedule()
    })
  }

  #onFrame(socket: WebSocket, bytes: Uint8Array, log: Logger): void {
    this.#options.metrics.inc(Metric.messages, Direction.in)
    this.#options.metrics.inc(Metric.bytes, Direction.in, bytes.byteLength)
    const parsed = parseFrame<ServerFrame>(bytes, serverFrameSchema)
    if (!parsed.ok) {
      log.warn({ reason: parsed.reason }, 'malformed frame from upstream: reconnecting')
      socket.terminate()
      return
    }
    const message = parsed.message
    if (message.type === FrameType.heartbeat) return
    if (message.type === 'peer') {
      this.#watch.connected()
      this.#remote = {
        peerId: message.senderId,
        deviceId: `upstream:${message.senderId}`,
        storeIds: this.#options.identity.storeIds,
        upstream: true,
      }
      this.#attempts = 0
      this.#options.directory.add(this.#remote)
      this.#options.metrics.inc(Metric.upstreamConnects)
      log.info(
        { peerId: message.senderId, storeIds: this.#options.identity.storeIds },
        'upstream link up',
      )
      const peerMetadata: PeerMetadata = {}
      if (message.peerMetadata?.storageId !== undefined) {
        peerMetadata.storageId = message.peerMetadata.storageId as NonNullable<
          PeerMetadata['storageId']
        >
      }
      if (message.peerMetadata?.isEphemeral !== undefined)
        peerMetadata.isEphemeral = message.peerMetadata.isEphemeral
      this.emit('peer-candidate', { peerId: message.senderId as PeerId, peerMetadata })
      this.#markReady()
      this.#options.onConnected?.()
      return
    }
    if (message.type === 'error') {
      log.error({ message: message.message }, 'upstream reported an error')
      return
    }
    if (message.type === REVOCATIONS_FRAME) {
      this.#options.onRevocations?.(message.revocations)
      return
    }
    const remote = this.#remote
    if (!remote || message.senderId !== remote.peerId) return
    if (message.type === 'remote-subscription-change' || message.type === 'remote-heads-changed')
      return
    const carriesChanges = parsed.carriesChanges
    this.#queue = this.#queue
      .then(async () => {
        const decision = await this.#options.registry.authorizeInbound(
          remote,
          message.documentId,
          carriesChanges,
          message.type !== 'ephemeral',
        )
        if (this.#remote !== remote) return
        if (!decision.allowed) {
          this.#options.metrics.inc(Metric.denials, { reason: `document-${decision.reason}` })
          log.warn(
            { documentId: message.documentId, reason: decision.reason },
            'upstream frame refused',
          )
          return
        }
        this.#options.onActivity(message.documentId)
        const unloading = this.#options.beforeDeliver?.(message.documentId)
        if (unloading) await unloading
        if (this.#remote !== remote) return
        this.emit('message', message as unknown as Message)
      })
      .catch((err: unknown) => log.error({ err }, 'upstream frame handling failed'))
  }

  #dropRemote(): void {
    const remote = this.#remote
    if (!remote) return
    this.#remote = undefined
    this.#options.directory.remove(remote.peerId, remote)
    this.emit('peer-disconnected', { peerId: remote.peerId as PeerId })
  }

  /** Goes to the node a cluster node named: at once, unless it bounced us within the last second. */
  #follow(url: string, log: Logger): void {
    log.info({ to: redactUrl(url) }, 'upstream moved: following to the store owner')
    this.#url = url
    const now = performance.now()
    const bounced = now - this.#movedAt < 1000
    this.#movedAt = now
    if (!bounced) this.#attempts = 0
    this.#schedule(bounced ? undefined : 0)
  }

  #rotate(): void {
    if (this.#urls.length < 2) return
    const i = this.#urls.indexOf(this.#url)
    this.#url = this.#urls[(i + 1) % this.#urls.length] ?? this.#options.url
  }

  #schedule(delayMs?: number): void {
    if (this.#stopped || this.#retry) return
    const delay = delayMs ?? backoffDelay(this.#attempts, this.#backoff)
    if (delayMs === undefined) this.#attempts = Math.min(this.#attempts + 1, 30)
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      this.#open()
    }, delay)
    this.#retry.unref()
  }

  #markReady(): void {
    if (this.#ready) return
    this.#ready = true
    this.#resolveReady()
  }
}
