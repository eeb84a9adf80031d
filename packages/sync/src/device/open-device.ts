import * as A from '@automerge/automerge'
import { BroadcastChannelNetworkAdapter } from '@automerge/automerge-repo-network-broadcastchannel'
import {
  Repo,
  isValidAutomergeUrl,
  type AutomergeUrl,
  type NetworkAdapterInterface,
  type PeerId,
} from '@automerge/automerge-repo/slim'
import { openPersistentClock } from '../clock/persistent-clock.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import {
  guardBeginSync,
  installLoadHook,
  LoadHookMode,
  setSyncThrottle,
  SyncThrottleMode,
  type BackoffOptions,
} from '@tabsync/protocol'
import { isNode } from '../network/socket.js'
import type { EndpointKind } from '../network/sync-link.js'
import { WebSocketLink, type WebSocketLinkOptions } from '../network/websocket-link.js'
import { RepoChunks } from '../docs/repo-chunks.js'
import { ClosableStorage } from '../storage/closable-storage.js'
import { DeviceKeys } from '../storage/device-keys.js'
import { deviceDatabaseName } from '../storage/database-name.js'
import { resolveStorage, type StorageOption } from '../storage/resolve-storage.js'
import { Device, type NewStore } from './device.js'
import { SyncGate } from '../repo/sync-gate.js'
import { consoleLogger, type Logger } from '../log/logger.js'

/**
 * A sync endpoint: a URL, or a URL with its kind spelled out and, for a relay cluster, the other
 * nodes' URLs (`alternateUrls`: one link that fails over between them, never one link each).
 */
export type EndpointOption =
  | string
  | {
      readonly url: string
      readonly kind?: EndpointKind
      readonly alternateUrls?: readonly string[]
    }

/** Options of {@link openDevice}. */
export interface OpenDeviceOptions {
  /** Stable per browser profile / process; the `by` of every entry and the token's `sub`. */
  readonly deviceId: string
  /** The repo peer id is `${deviceId}/${peerSuffix}`. Default: random per open. */
  readonly peerSuffix?: string
  /** The store document. Omit to create a store afterwards, or to use the one paired before. */
  readonly storeUrl?: AutomergeUrl | string
  /**
   * JWT for the endpoints: offered as a WebSocket subprotocol and sent as `Authorization: Bearer`
   * on HTTP requests, never in a URL.
   */
  readonly token?: string
  /** Hub and/or relay sync endpoints, e.g. `['ws://hub.local:8787/sync', 'wss://relay.example/sync']`. */
  readonly endpoints?: readonly EndpointOption[]
  readonly storage: StorageOption
  /** Sync with other tabs of this browser. Default: true in browsers, false in Node. */
  readonly broadcastChannel?: boolean
  /** The device's wall clock (tests give it a wrong one). Default `Date.now`. */
  readonly wallClock?: () => number
  /** Extra network adapters (tests: the simulated network). Their peers count as upstream when the adapter is a SyncLink that says so. */
  readonly network?: readonly NetworkAdapterInterface[]
  /** Reconnect backoff of the WebSocket endpoints. */
  readonly backoff?: BackoffOptions
  /**
   * Deadlines of the WebSocket endpoints (see {@link WebSocketLinkOptions}): an attempt must
   * connect within `connectTimeoutMs` (default 5 s); a connection silent for `silenceTimeoutMs`
   * (default 3 of the relay's heartbeat intervals, 7.5 s) is dropped and the status leaves online.
   */
  readonly liveness?: Pick<WebSocketLinkOptions, 'connectTimeoutMs' | 'silenceTimeoutMs'>
  /** Random source for jitter and peer suffixes, [0, 1). */
  readonly random?: () => number
  /** Skew against the relay beyond this is flagged. Default 2 minutes. */
  readonly maxSkewMs?: number
  /**
   * Announce this device to hubs and relays as ephemeral from its first connection (automerge-
   * repo's `isEphemeral` peer metadata): they keep no sync state for it and start a fresh sync
   * on every connection. A browser terminal uses it: with a saved sync state, a device reloaded
   * offline (same storage id, new peer) kept its offline work unconfirmed after reconnecting.
   * Default false.
   */
  readonly ephemeral?: boolean
  /**
   * False: the hub and relay links start closed (`device.setOnline(true)` opens them), e.g. a
   * browser that starts with `navigator.onLine` false. Default true.
   */
  readonly online?: boolean
  /** Re-open the current business day's documents and unsynced ones at start. Default true. */
  readonly reopen?: boolean
  /**
   * Least time (ms) between two sync messages of one document. Default 0: a tap leaves at once
   * (automerge-repo's own default, 100 ms, made rapid taps wait up to 100 ms each). Set at run
   * time on stock automerge-repo: see `setSyncThrottle`.
   */
  readonly syncThrottleMs?: number
  /**
   * The change fast path: after a command its changes go to the relay at once in one frame, and
   * changes the relay forwards are applied on arrival; sync still runs underneath. Default true
   * (used only with relays that offer it).
   */
  readonly changeFrames?: boolean
  /**
   * Open each document with one `Automerge.load` instead of about three (automerge-repo loads
   * incrementally, then diffs from empty): set at run time on stock automerge-repo, see
   * `installLoadHook`. Default true; false keeps automerge-repo's own loading.
   */
  readonly loadHook?: boolean
  /**
   * How long `ready()`, `orderSummary()` and `watchOrder()` wait for a document that is neither
   * here nor given by a connected peer before rejecting with an `unavailable` SyncError (a relay
   * refusing a document answers exactly like one that does not have it). Default 30 s.
   */
  readonly findTimeoutMs?: number
  /**
   * Where the device reports failures it works around (pino-compatible; a pino logger works as
   * is). Default: warnings and errors on the console ({@link consoleLogger}); `silentLogger`
   * for none.
   */
  readonly logger?: Logger
}

/** Default of {@link OpenDeviceOptions.findTimeoutMs}. */
export const DEFAULT_FIND_TIMEOUT_MS = 30_000

/**
 * Opens a device: storage, hybrid clock (restored), network (WebSocket endpoints with backoff,
 * BroadcastChannel between tabs, extra adapters), and starts re-announcing the current day's
 * documents. Resolves before the store is loaded; `await device.ready()` for that.
 *
 * @example
 * const device = await openDevice({
 *   deviceId: 'till-1',
 *   storeUrl,
 *   token,
 *   endpoints: [{ url: 'ws://hub.local:8787/sync', kind: 'hub' }, 'wss://relay.example/sync'],
 *   storage: { directory: './till-1-data' },
 * })
 * await device.ready()
 * const { url } = await device.openOrder('t4', { guests: 2 })
 * await device.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'burger', modifiers: [{ groupId: 'cooking', optionId: 'medium' }] }))
 */
export async function openDevice(options: OpenDeviceOptions): Promise<Device> {
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(options.deviceId)) {
    throw new SyncError(
      SyncErrorKind.invalidOptions,
      'deviceId must be 1-100 letters, digits, dot, underscore, colon or dash',
    )
  }
  if (options.storeUrl !== undefined && !isValidAutomergeUrl(options.storeUrl)) {
    throw new SyncError(SyncErrorKind.invalidOptions, `not an automerge URL: ${options.storeUrl}`)
  }
  const random = options.random ?? Math.random
  const wallClock = options.wallClock ?? Date.now
  const storage = new ClosableStorage(
    await resolveStorage(options.storage, deviceDatabaseName(options.deviceId)),
  )
  const clock = await openPersistentClock({
    storage,
    node: options.deviceId,
    wallClock,
    maxSkewMs: options.maxSkewMs,
  })

  let storeUrl = options.storeUrl as AutomergeUrl | undefined
  if (!storeUrl) {
    const saved = await storage.load(DeviceKeys.storeUrl)
    const text = saved ? new TextDecoder().decode(saved) : ''
    if (isValidAutomergeUrl(text)) storeUrl = text
  }

  const links = (options.endpoints ?? []).map((e) => {
    const endpoint = typeof e === 'string' ? { url: e } : e
    return new WebSocketLink({
      url: endpoint.url,
      ...(endpoint.kind ? { kind: endpoint.kind } : {}),
      ...('alternateUrls' in endpoint && endpoint.alternateUrls
        ? { alternateUrls: endpoint.alternateUrls }
        : {}),
      token: options.token,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...options.liveness,
      random,
      now: wallClock,
      logger: options.logger ?? consoleLogger,
      ...(options.changeFrames === undefined ? {} : { changeFrames: options.changeFrames }),
    })
  })
  const upstream: NetworkAdapterInterface[] = [...links, ...(options.network ?? [])]
  const network: NetworkAdapterInterface[] = [...upstream]
  const useChannel =
    options.broadcastChannel ?? (!isNode() && typeof BroadcastChannel !== 'undefined')
  if (useChannel) {
    network.push(new BroadcastChannelNetworkAdapter({ channelName: `tabsync:${options.deviceId}` }))
  }

  const suffix =
    options.peerSuffix ??
    Math.floor(random() * 36 ** 8)
      .toString(36)
      .padStart(8, '0')
  const syncGate = new SyncGate()
  // The repo's own reads and writes of document chunks are noted (the summary cache's writes).
  const repoChunks = new RepoChunks(storage)
  const repo = new Repo({
    storage: repoChunks,
    network,
    peerId: `${options.deviceId}/${suffix}` as PeerId,
    // Sent in every join: peers keep no sync state for an ephemeral device. Left to the Repo's
    // default (not ephemeral, it has storage) otherwise.
    ...(options.ephemeral ? { isEphemeral: true } : {}),
    // A device shares every document it has with every peer it is allowed to talk to; the relay
    // decides what the device may see. The gate only delays documents a cold start is opening.
    sharePolicy: syncGate.policy,
  })
  const syncThrottleMs = options.syncThrottleMs ?? 0
  const logger = options.logger ?? consoleLogger
  const syncThrottleMode = setSyncThrottle(repo, syncThrottleMs)
  if (syncThrottleMode === SyncThrottleMode.unsupported) {
    // Still correct, only slower: say so once, where a developer looks.
    logger.warn(
      { syncThrottleMs },
      'this automerge-repo version cannot take the sync throttle: it keeps its own 100 ms',
    )
  } else {
    logger.debug({ syncThrottleMs, syncThrottleMode }, 'sync throttle set')
  }
  // A document not ready within automerge-repo's minute would otherwise be an unhandled
  // rejection: a print bridge's process would end. It syncs on its next change or message.
  guardBeginSync(repo, (err, documentId) =>
    logger.warn(
      { err, documentId },
      'sync of a document could not begin: it was not ready in time',
    ),
  )

  if (options.loadHook ?? true) {
    // A cold start opens its open checks, tables and day through here: one load each.
    const loadHookMode = installLoadHook(repo, A)
    if (loadHookMode === LoadHookMode.unsupported) {
      logger.warn({}, 'this automerge-repo version cannot take the load hook: documents open stock')
    } else {
      logger.debug({ loadHookMode }, 'load hook installed')
    }
  }

  return new Device({
    deviceId: options.deviceId,
    repo,
    storage,
    repoChunks,
    clock,
    wallClock,
    storeUrl,
    upstreamAdapters: upstream,
    random,
    reopen: options.reopen ?? true,
    findTimeoutMs: options.findTimeoutMs ?? DEFAULT_FIND_TIMEOUT_MS,
    logger,
    online: options.online ?? true,
    syncGate,
  })
}

/**
 * Creates a new store with `device` (back office / first start): table documents first, then
 * the store document. Returns its URL; pair other devices with it and a token.
 *
 * @example
 * const { storeUrl } = await createStore(device, { ...demoStoreInit('store-1', () => ''), tables: [...DEMO_TABLES] })
 */
export function createStore(device: Device, init: NewStore): Promise<{ storeUrl: AutomergeUrl }> {
  return device.createStore(init)
}
