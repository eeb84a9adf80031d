import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { join, resolve } from 'node:path'
import {
  Repo,
  type DocumentId,
  type PeerId,
  type StorageAdapterInterface,
  type StorageKey,
} from '@automerge/automerge-repo'
import { WebSocketServer } from 'ws'
import { OwnershipRegistry, storesOfRecord } from './access/ownership.js'
import { WriteGuard } from './access/write-guard.js'
import { currentDocument } from './repo/current-document.js'
import { createShareConfig, mayShare } from './access/share-config.js'
import { resolveSecret, type SecretSource } from './auth/secret.js'
import { verifyToken, type Secret } from './auth/token.js'
import { selectSubprotocol, tokenFromRequest } from './auth/request-token.js'
import type { TokenClaims } from './auth/claims.js'
import { RevocationList, revocationSchema, revokes, type Revocation } from './auth/revocations.js'
import {
  CloseCode,
  closeReason,
  guardBeginSync,
  setSyncThrottle,
  SyncThrottleMode,
  type BackoffOptions,
} from '@tabsync/protocol'
import { RelayError, RelayErrorKind, isRelayError } from './errors.js'
import { createRevocationsRoute } from './http/revocations-route.js'
import { REVOCATIONS_FRAME } from '@tabsync/protocol'
import { Metric, RelayMetrics } from './http/metrics.js'
import { createHttpHandler } from './http/routes.js'
import { DeviceRateLimiter } from './limits/device-rate-limiter.js'
import { DEFAULT_LIMITS, type RelayLimits } from './limits/limits.js'
import { createLogger, type Logger, type LogLevel } from './log.js'
import { PeerDirectory } from './network/peer-directory.js'
import { RelayServerAdapter } from './network/relay-server-adapter.js'
import { flushAndShutdown } from './repo/flush.js'
import { IdleUnloader } from './repo/idle-unloader.js'
import { Base58CheckMemoMode, memoizeBase58Check } from './repo/base58check-memo.js'
import { installMessageShortcuts } from './repo/message-shortcuts.js'
import { unloadDocument } from './repo/unload-document.js'
import { pushStoreDocuments } from './repo/push-store-documents.js'
import { resetSyncOnReconnect } from './repo/reset-peer-sync.js'
import { coalescedShareReevaluation } from './repo/share-reevaluation.js'
import { createDocumentsRoute } from './http/documents-route.js'
import { FileStorageAdapter } from './storage/file-storage-adapter.js'
import { InstrumentedStorage } from './storage/instrumented-storage.js'
import { KeptWritesStorage } from './storage/kept-writes-storage.js'
import { DEFAULT_MAX_KEPT_BYTES, KeptWritesBound } from './storage/kept-writes-bound.js'
import { WriteBehindStorage } from './storage/write-behind-storage.js'
import { UpstreamAdapter, upstreamIdentity } from './upstream.js'
import { ClusterNode, type ClusterOptions } from './cluster/cluster-node.js'
import { refreshStoreDocuments } from './cluster/refresh-store-documents.js'

/** Default data directory (relative to the working directory). */
export const DEFAULT_DATA_DIR = './.tabsync/relay'
/** Default port. */
export const DEFAULT_PORT = 8787
/** Default bind address: loopback; pass `0.0.0.0` to serve a LAN (hub). */
export const DEFAULT_HOST = '127.0.0.1'
/** Default idle time after which a document leaves memory. */
export const DEFAULT_IDLE_UNLOAD_MS = 5 * 60_000
/** Default window (ms) a document's file writes are held to go out together. */
export const DEFAULT_WRITE_BEHIND_MS = 250

/** Options of {@link startRelay}; every field has a default. */
export interface RelayOptions {
  /** TCP port; 0 picks a free one. Default 8787. */
  readonly port?: number
  /** Bind address. Default 127.0.0.1. */
  readonly host?: string
  /** Holds the secret file (when no secret is given) and, by default, the documents. */
  readonly dataDir?: string
  /** Signing secret; default `TABSYNC_SECRET`, else `<dataDir>/secret` (created if absent). */
  readonly secret?: Secret
  /** Document storage; default files under `<dataDir>/repo`. */
  readonly storage?: StorageAdapterInterface
  /** Hub mode: the upstream relay's sync URL and this hub's token (role hub) for it. */
  readonly upstream?: {
    readonly url: string
    /** The other nodes of a relay cluster (see `UpstreamAdapterOptions.alternateUrls`). */
    readonly alternateUrls?: readonly string[]
    readonly token: string
    readonly backoff?: BackoffOptions
    /** Connect (TCP + upgrade + join) deadline of the upstream link, ms. Default 5 s. */
    readonly connectTimeoutMs?: number
    /** Silence (no frame, no pong) after which the upstream link is dropped, ms. Default 7.5 s. */
    readonly silenceTimeoutMs?: number
  }
  /**
   * Accept tokens in the `?token=` query string (WebSocket upgrade, `POST /documents`, the
   * `GET /sync` probe), for old clients such as automerge-repo's stock WebSocket client. Default
   * false: a token in a URL ends up in consoles and access logs. Tabsync devices send it as a
   * WebSocket subprotocol or an `Authorization: Bearer` header.
   */
  readonly allowQueryToken?: boolean
  readonly limits?: Partial<RelayLimits>
  /** Idle time (ms) before a document is unloaded from memory; 0 disables. Default 5 min. */
  readonly idleUnloadMs?: number
  /** automerge-repo's save debounce (ms). Default 100. */
  readonly saveDebounceMs?: number
  /**
   * The default file storage holds a document's writes this long (ms) and writes them together
   * (storage/write-behind-storage.ts); 0 writes each at once. A kill -9 loses at most this
   * window plus `saveDebounceMs` of changes, which the devices still hold and send again on
   * reconnect. Default 250.
   */
  readonly writeBehindMs?: number
  /**
   * Install the relay's per-message shortcuts (repo/message-shortcuts.ts). Two of them change
   * Automerge's API object for the whole process (sync states kept in WebAssembly, acks that
   * rebuild nothing): an application embedding the relay beside its own Automerge work may
   * prefer stock behaviour. Default true.
   */
  readonly messageShortcuts?: boolean
  /**
   * Bound (bytes) of the document writes kept in memory while storage fails (PostgreSQL down, a
   * disk error). At the bound the relay refuses new changes of the stores concerned (close code
   * `storageFull`, upgrade 503 `storage-full`) until the kept writes are stored; nothing it
   * acknowledged is dropped (storage/kept-writes-bound.ts). Default 64 MiB.
   */
  readonly maxKeptBytes?: number
  /**
   * Least time (ms) between two sync messages of one document (automerge-repo's per-document
   * sync throttle, 100 ms there, set at run time: repo/sync-throttle.ts). Default 0: a change is
   * forwarded as soon as it arrives.
   */
  readonly syncThrottleMs?: number
  /**
   * Heartbeat interval (ms). Default 2.5 s. Each interval every socket is pinged (one silent for
   * 3 intervals is terminated) and every `tabsync.v1` client gets a heartbeat frame, so devices
   * notice a silent relay within 3 intervals.
   */
  readonly keepAliveMs?: number
  /** How often (ms) the revocation list is re-read from storage (a `tabsync-relay revoke` run
   *  against the data directory, another node on the same storage). Default 500. */
  readonly revocationPollMs?: number
  /** fsync document files (survives power loss). Default false. */
  readonly fsync?: boolean
  /** A pino logger, or a level for the default one (stderr). */
  readonly logger?: Logger
  readonly logLevel?: LogLevel
  /**
   * Cluster mode: documents and records in PostgreSQL, each store served by the node holding its
   * lease; clients of a store served elsewhere are closed with `CloseCode.moved` and its URL.
   */
  readonly cluster?: ClusterOptions
}

/** A running relay, as returned by {@link startRelay}. */
export interface RunningRelay {
  /** `http://host:port` */
  readonly url: string
  /** `ws://host:port/sync`: give it to devices (with their token, never in the URL). */
  readonly syncUrl: string
  readonly port: number
  readonly host: string
  readonly mode: 'relay' | 'hub'
  readonly peerId: string
  readonly dataDir: string
  /** Where the signing secret came from (`given` when passed in options). */
  readonly secretSource: SecretSource | 'given'
  readonly secretPath: string | undefined
  readonly repo: Repo
  readonly metrics: RelayMetrics
  readonly registry: OwnershipRegistry
  /** Cluster mode only: leases, storage and admission of this node. */
  readonly cluster: ClusterNode | undefined
  /** Revoked devices and tokens (persisted in storage). */
  readonly revocations: RevocationList
  /** Unloads idle documents now (tests); resolves when done. */
  sweepIdle(): Promise<void>
  /** Stops accepting, closes sockets (1001), flushes every ready document, closes storage. */
  close(): Promise<void>
}

/**
 * Starts a relay (or, with `upstream`, a hub) and resolves once it serves: storage loaded, the
 * repo's network adapter connected, the port bound. `/readyz` answers 200 from then on.
 *
 * @example
 * const relay = await startRelay({ port: 0, dataDir: tmp, secret: 'a-long-test-secret-value' })
 * const token = await issueToken({ secret: 'a-long-test-secret-value', deviceId: 'till-1', storeIds: ['s1'], role: 'terminal' })
 * const ws = new WebSocket(relay.syncUrl, ['tabsync.v1', `tabsync.token.${token}`])
 * await relay.close()
 */
export async function startRelay(options: RelayOptions = {}): Promise<RunningRelay> {
  const log = options.logger ?? createLogger(options.logLevel)
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR)
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const host = options.host ?? DEFAULT_HOST
  const mode = options.upstream ? 'hub' : 'relay'
  const allowQueryToken = options.allowQueryToken ?? false

  let secret: Secret
  let secretSource: SecretSource | 'given' = 'given'
  let secretPath: string | undefined
  if (options.secret !== undefined) {
    secret = options.secret
  } else {
    const resolved = await resolveSecret(dataDir)
    secret = resolved.secret
    secretSource = resolved.source
    secretPath = resolved.path
    if (resolved.source === 'created') {
      log.warn(
        { path: resolved.path },
        'TABSYNC_SECRET not set: created a signing secret in the data directory',
      )
    }
  }

  const metrics = new RelayMetrics()
  const cluster = options.cluster ? new ClusterNode(options.cluster, log) : undefined
  const instrumented = new InstrumentedStorage(
    options.storage ??
      cluster?.storage ??
      new FileStorageAdapter(join(dataDir, 'repo'), { fsync: options.fsync ?? false }),
    { onWrite: (seconds, ok) => metrics.observeWrite(seconds, ok) },
  )
  // The default file storage gets its document writes coalesced per document (a given adapter
  // or the cluster's PostgreSQL batches on its own terms).
  const writeBehindMs = options.writeBehindMs ?? DEFAULT_WRITE_BEHIND_MS
  const writeBehind =
    options.storage === undefined && cluster === undefined && writeBehindMs > 0
      ? new WriteBehindStorage(instrumented, {
          windowMs: writeBehindMs,
          onError: (err, documentId) =>
            log.error({ err, documentId }, 'storage write failed; retrying at the next window'),
          onFailingBytes: () => bound.update(heldBytes()),
        })
      : undefined
  /** Acknowledged document writes held in memory because storage failed, in either layer. */
  const heldBytes = (): number => kept.keptBytes + (writeBehind?.failingBytes ?? 0)
  // Outermost: no document write rejects into automerge-repo's unobserved save throttle (an
  // unhandled rejection would end an embedding process); a failed one is reported and kept.
  const bound = new KeptWritesBound({
    maxBytes: options.maxKeptBytes ?? DEFAULT_MAX_KEPT_BYTES,
    keptDocuments: () => [...kept.keptDocuments(), ...(writeBehind?.failingDocuments() ?? [])],
    storesOf: (documentId) => storesOfRecord(registry.peek(documentId)),
    log,
  })
  const kept = new KeptWritesStorage(writeBehind ?? instrumented, {
    onKeptBytes: () => bound.update(heldBytes()),
    onFailure: (error, key, retried) => {
      const fields = { err: error, kind: error.kind, reason: error.reason, documentId: key[0] }
      if (retried) log.debug(fields, 'kept document write failed again')
      else log.error(fields, 'document write failed; kept in memory to write again')
      metrics.inc(Metric.keptWrites, { reason: error.reason })
      // Fenced off: another node holds the store (or its lease ran out); stop serving it now.
      if (error.reason === 'lease-lost') cluster?.writeRefused(key)
    },
    ...(cluster ? { mayRetry: (key: StorageKey) => cluster.mayWrite(key) } : {}),
  })
  const storage: StorageAdapterInterface = kept
  const directory = new PeerDirectory()
  const revocations = new RevocationList(storage, log)
  /** A token that verifies and is not revoked. */
  const verifyDevice = async (token: string | null | undefined): Promise<TokenClaims> => {
    const claims = await verifyToken(token, secret)
    if (revocations.find(claims)) {
      throw new RelayError(RelayErrorKind.unauthorized, 'revoked', 'Device or token revoked')
    }
    return claims
  }
  /** The revocations a hub of these stores must know, as the control frame it reads. */
  const revocationsFrame = (storeIds: readonly string[], entries?: readonly Revocation[]) => {
    const concerned = (entries ?? revocations.entries()).filter(
      (r) => r.stores === undefined || r.stores.some((st) => storeIds.includes(st)),
    )
    return concerned.length === 0 && entries !== undefined
      ? undefined
      : { type: REVOCATIONS_FRAME, revocations: concerned }
  }
  const registry: OwnershipRegistry = new OwnershipRegistry(storage, {
    log,
    // Called only once the repo exists (closures run after startRelay built it).
    isLoaded: (id): boolean => id in liveRepo.handles,
  })

  // Tables first: the repo reads its storage id from storage as soon as it is constructed.
  await cluster?.start(registry, (storeId) => {
    // What was kept while the store was away goes out first, then what others wrote comes in.
    // (Not while stopping: a device's last admission must not race the pool's end.)
    if (stopped) return
    kept
      .retry()
      .then(() => refreshStoreDocuments(liveRepo, storage, registry, storeId, log))
      .catch((err: unknown) => log.warn({ err, storeId }, 'could not refresh a store taken over'))
  })
  cluster?.registerMetrics(metrics)
  // After the cluster's tables exist: in cluster mode the list lives in PostgreSQL.
  await revocations.refresh()

  let unloader: IdleUnloader | undefined
  const touch = (documentId: string): void => unloader?.touch(documentId)
  const beforeDeliver = (documentId: string): Promise<void> | undefined =>
    unloader?.unloading(documentId)
  const serverAdapter = new RelayServerAdapter({
    limits,
    log,
    metrics,
    registry,
    directory,
    writeGuard: new WriteGuard({
      currentDoc: (id) => currentDocument(liveRepo, storage, id),
    }),
    onActivity: touch,
    beforeDeliver,
    writesRefused: (documentId, storeIds) => {
      if (!bound.full) return false
      const owners = storesOfRecord(registry.peek(documentId))
      const refused = bound.refuses(owners.length > 0 ? owners : storeIds)
      if (refused) metrics.inc(Metric.storageFullRefusals, { at: 'frame' })
      return refused
    },
    // Called only once the repo exists, like the registry's isLoaded.
    changeFrames: {
      handleOf: (id) => {
        const handle = liveRepo.handles[id as DocumentId]
        return handle?.isReady() ? handle : undefined
      },
      isPeerOf: (id, peerId) =>
        liveRepo.synchronizer.docSynchronizers[id as DocumentId]?.hasPeer(peerId as PeerId) ??
        false,
    },
    onJoined: (connection) => {
      // A hub gets the list of its stores on every join; later additions are pushed below.
      if (connection.claims.role !== 'hub') return
      const frame = revocationsFrame(connection.claims.storeIds)
      if (frame) serverAdapter.sendControl(connection, frame)
    },
    ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }),
  })

  let stopped = false
  let upstream: UpstreamAdapter | undefined
  let peerId = `relay-${randomUUID().slice(0, 8)}`
  if (options.upstream) {
    const identity = upstreamIdentity(options.upstream.token)
    peerId = `${identity.deviceId}/hub-${randomUUID().slice(0, 8)}`
    upstream = new UpstreamAdapter({
      url: options.upstream.url,
      ...(options.upstream.alternateUrls ? { alternateUrls: options.upstream.alternateUrls } : {}),
      token: options.upstream.token,
      identity,
      log,
      metrics,
      registry,
      directory,
      maxFrameBytes: limits.maxFrameBytes,
      onActivity: touch,
      beforeDeliver,
      ...(options.upstream.backoff ? { backoff: options.upstream.backoff } : {}),
      ...(options.upstream.connectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: options.upstream.connectTimeoutMs }),
      ...(options.upstream.silenceTimeoutMs === undefined
        ? {}
        : { silenceTimeoutMs: options.upstream.silenceTimeoutMs }),
      onRevocations: (entries) => {
        const valid = entries.flatMap((e) => {
          const parsed = revocationSchema.safeParse(e)
          return parsed.success ? [parsed.data] : []
        })
        if (valid.length < entries.length)
          log.warn(
            { dropped: entries.length - valid.length },
            'malformed revocations from upstream',
          )
        revocations
          .add(valid)
          .catch((err: unknown) => log.error({ err }, 'could not store revocations from upstream'))
      },
      onConnected: () => {
        pushStoreDocuments(liveRepo, registry, identity.storeIds, log, () => stopped).catch(
          (err: unknown) => log.error({ err }, 'upstream push failed'),
        )
      },
    })
  }

  // Who a connected peer is (its token's claims), for every access answer below.
  const principalOf = (p: string) => directory.get(p)
  const liveRepo: Repo = new Repo({
    storage,
    network: upstream ? [serverAdapter, upstream] : [serverAdapter],
    peerId: peerId as PeerId,
    shareConfig: createShareConfig(registry, principalOf),
    saveDebounceRate: options.saveDebounceMs ?? 100,
  })
  // Not the upstream (hub mode): the repo announces to it, and so restarts its sync itself.
  resetSyncOnReconnect(
    liveRepo,
    (peerId, documentId) =>
      directory.get(peerId)?.upstream !== true &&
      mayShare(registry, principalOf, peerId, documentId),
  )
  const syncThrottleMs = options.syncThrottleMs ?? 0
  const syncThrottleMode = setSyncThrottle(liveRepo, syncThrottleMs)
  if (syncThrottleMode === SyncThrottleMode.unsupported) {
    log.warn(
      { syncThrottleMs },
      'this automerge-repo version cannot take the sync throttle: it keeps its own 100 ms',
    )
  } else {
    log.info({ syncThrottleMs, syncThrottleMode }, 'sync throttle set')
  }
  // A document not ready within automerge-repo's minute (storage stalled) would otherwise be an
  // unhandled rejection and end the relay process. It syncs on its next change or message.
  guardBeginSync(liveRepo, (err, documentId) =>
    log.warn({ err, documentId }, 'sync of a document could not begin: it was not ready in time'),
  )
  // automerge-repo re-encodes the same heads and ids on every message (repo/base58check-memo.ts).
  if (memoizeBase58Check() === Base58CheckMemoMode.unsupported)
    log.warn('automerge-repo does not reach the base58check memo: heads are encoded at full cost')
  // The per-message work cut: sync states kept in wasm, one decode, no empty sync start, acks
  // that rebuild nothing (repo/message-shortcuts.ts).
  if (options.messageShortcuts ?? true)
    installMessageShortcuts(
      liveRepo,
      { warn: (message) => log.warn(message) },
      {
        // The share config's access answer, synchronously; its inputs' versions.
        mayAccess: (peerId, documentId) =>
          mayShare(registry, principalOf, peerId as PeerId, documentId as DocumentId),
        shareVersion: () => registry.version + directory.version,
      },
    )

  // Settle claimed documents as soon as their content is readable; who syncs what is re-checked
  // in coalesced passes (share-reevaluation.ts).
  const shareChanged = coalescedShareReevaluation(liveRepo, (err) =>
    log.warn({ err }, 're-checking who syncs which document failed'),
  )
  liveRepo.on('doc-metrics', (event) => {
    if (event.type !== 'receive-sync-message' && event.type !== 'doc-loaded') return
    const documentId = event.documentId
    // Only a claim waits for its content; an owned document (every message after its first) has
    // nothing to settle.
    if (registry.peek(documentId)?.state !== 'claimed') return
    setImmediate(() => {
      const handle = liveRepo.handles[documentId]
      if (!handle?.isReady()) return
      const changed = registry.resolve(documentId, handle.doc())
      if (!changed) return
      if (changed.state === 'quarantined') {
        metrics.inc(Metric.denials, { reason: 'document-quarantined' })
        unloadDocument(liveRepo, handle).catch((err: unknown) =>
          log.warn({ err, documentId }, 'could not unload a quarantined document'),
        )
      }
      shareChanged()
    })
  })

  // A revocation (back office, CLI via storage, upstream) closes what it refuses at once, and is
  // passed on to the hubs of the stores it concerns.
  revocations.onAdded((added) => {
    const closed = serverAdapter.closeWhere(
      (claims) => added.some((r) => revokes(r, claims)),
      CloseCode.revoked,
    )
    if (closed > 0) log.warn({ closed }, 'closed revoked connections')
    for (const connection of serverAdapter.connections()) {
      if (connection.closed || connection.claims.role !== 'hub') continue
      const frame = revocationsFrame(connection.claims.storeIds, added)
      if (frame) serverAdapter.sendControl(connection, frame)
    }
  })
  revocations.startPolling(options.revocationPollMs ?? 500)

  const idleUnloadMs = options.idleUnloadMs ?? DEFAULT_IDLE_UNLOAD_MS
  if (idleUnloadMs > 0) {
    unloader = new IdleUnloader(liveRepo, {
      idleMs: idleUnloadMs,
      log,
      // The ownership record stays cached (bounded LRU): forgetting it here could race a request
      // that just looked it up and make the repo's synchronous access check fail closed.
      onUnloaded: () => metrics.inc(Metric.unloaded),
    })
  }

  metrics.gauge('tabsync_relay_connections', 'Open device WebSockets.', () => [
    [{}, serverAdapter.connectionCount],
  ])
  metrics.gauge('tabsync_relay_authenticated_devices', 'Joined devices, by store.', () =>
    [...directory.devicesPerStore()].map(([storeId, n]) => [{ store: storeId }, n]),
  )
  metrics.gauge('tabsync_relay_documents_loaded', 'Documents held in memory by the repo.', () => [
    [{}, Object.keys(liveRepo.handles).length],
  ])
  metrics.gauge(
    'tabsync_relay_storage_kept_bytes',
    'Bytes of document writes kept in memory because storage failed (bounded by maxKeptBytes).',
    () => [[{}, heldBytes()]],
  )
  metrics.gauge(
    'tabsync_relay_storage_full',
    '1 while the kept writes are at their bound and writes of the stores concerned are refused.',
    () => [[{}, bound.full ? 1 : 0]],
  )
  metrics.gauge('tabsync_relay_ownership_cached', 'Ownership records cached in memory.', () => [
    [{}, registry.cachedCount],
  ])
  if (upstream) {
    const link = upstream
    metrics.gauge(
      'tabsync_relay_upstream_connected',
      '1 while the hub is linked to its upstream relay.',
      () => [[{}, link.connected ? 1 : 0]],
    )
  }

  const documentsLimiter = new DeviceRateLimiter(limits.documentsPerSecond, limits.documentsBurst)
  let ready = false
  const startedAt = Date.now()
  const server = createServer(
    createHttpHandler({
      mode,
      peerId: () => peerId,
      // Not ready while writes for stores this node serves keep failing (PostgreSQL, disk).
      ready: () =>
        ready &&
        !stopped &&
        (cluster?.ready ?? true) &&
        kept.retryableWrites === 0 &&
        (writeBehind?.failingBytes ?? 0) === 0,
      startedAt,
      connections: () => serverAdapter.connectionCount,
      documentsLoaded: () => Object.keys(liveRepo.handles).length,
      upstreamConnected: () => upstream?.connected,
      metrics: () => metrics.render(),
      documents: createDocumentsRoute({
        repo: liveRepo,
        storage,
        registry,
        log,
        verify: verifyDevice,
        allowQueryToken,
        admit: (deviceId) => documentsLimiter.take(deviceId),
        onRefused: (reason) => metrics.inc(Metric.denials, { reason }),
      }),
      allowQueryToken,
      revocations: createRevocationsRoute({ revocations, log, verify: verifyDevice }),
      tokenProblem: async (token) => {
        try {
          await verifyDevice(token)
          return undefined
        } catch (e) {
          return isRelayError(e) ? e.reason : 'malformed'
        }
      },
    }),
  )
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes + 64 * 1024,
    perMessageDeflate: false,
    // Answer with `tabsync.v1` only: ws would otherwise echo the first offered subprotocol.
    handleProtocols: (offered) => selectSubprotocol(offered),
  })

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(req, socket, head)
  })

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://relay')
    if (url.pathname !== '/sync') return refuse(socket, 404, 'not-found')
    if (!ready || stopped) return refuse(socket, 503, 'not-ready')
    const offered = tokenFromRequest(req, { allowQueryToken })
    let claims
    try {
      claims = await verifyDevice(offered.token)
    } catch (e) {
      const reason = isRelayError(e) ? e.reason : 'malformed'
      metrics.inc(Metric.denials, { reason: `token-${reason}` })
      log.warn(
        { reason, via: offered.via, remote: req.socket.remoteAddress },
        'upgrade refused: bad token',
      )
      return refuse(socket, 401, reason)
    }
    const admission = cluster ? await cluster.admit(claims.storeIds) : { kind: 'serve' as const }
    if (admission.kind === 'unavailable') return refuse(socket, 503, admission.reason)
    // After the cluster's admission: taking a store's lease back is what writes its kept writes.
    if (admission.kind === 'serve' && bound.refuses(claims.storeIds)) {
      metrics.inc(Metric.storageFullRefusals, { at: 'upgrade' })
      return refuse(socket, 503, closeReason[CloseCode.storageFull])
    }
    if (stopped) return refuse(socket, 503, 'not-ready')
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A WebSocket cannot follow an HTTP redirect: open it, then close with the owner's URL.
      if (admission.kind === 'redirect') return ws.close(CloseCode.moved, admission.owner.advertise)
      serverAdapter.accept(ws, claims, req.socket.remoteAddress)
      cluster?.track(ws, claims.storeIds)
    })
  }

  // Storage loaded (the repo reads its storage id) and the adapter connected by the repo, before
  // the port opens: a client must never meet a bound port that cannot serve it yet.
  await liveRepo.storageId()
  await serverAdapter.whenReady()
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  ready = true

  const address = server.address()
  const port =
    typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_PORT)
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  log.info({ port, host, mode, peerId, dataDir }, 'relay listening')

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopped = true
      ready = false
      revocations.stop()
      const serverClosed = new Promise<void>((r) => server.close(() => r()))
      await unloader?.stop()
      serverAdapter.disconnect()
      upstream?.disconnect()
      wss.close()
      await flushAndShutdown(liveRepo, log)
      const unstored = await kept.flush()
      if (unstored > 0) {
        // Their stores are served elsewhere now; the devices that sent them send them there.
        log.warn({ unstored }, 'stopping with document writes this node could not store')
      }
      await writeBehind?.flush()
      await registry.settled()
      await cluster?.close()
      server.closeAllConnections()
      await serverClosed
      log.info({ port }, 'relay stopped')
    })()
    return closing
  }

  return {
    url: `http://${urlHost}:${port}`,
    syncUrl: `ws://${urlHost}:${port}/sync`,
    port,
    host,
    mode,
    peerId,
    dataDir,
    secretSource,
    secretPath,
    repo: liveRepo,
    metrics,
    registry,
    cluster,
    revocations,
    sweepIdle: () => unloader?.sweep() ?? Promise.resolve(),
    close,
  }
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const text =
    status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Service Unavailable'
  const body = JSON.stringify({ error: reason })
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  )
}
