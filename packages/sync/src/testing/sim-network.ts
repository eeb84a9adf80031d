import {
  NetworkAdapter,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo/slim'
import type { EndpointKind } from '../network/sync-link.js'
import { EndpointState, type EndpointStatus, type SyncLink } from '../network/sync-link.js'
import { seededRandom } from './seeded-random.js'

/** What can go wrong on the simulated wire. Rates are probabilities per message, 0..1. */
export interface SimFaults {
  /** Delivery delay range, ms. Default 1..20. */
  readonly minDelayMs?: number
  readonly maxDelayMs?: number
  /** A message is lost. */
  readonly dropRate?: number
  /** A message is delivered twice. */
  readonly duplicateRate?: number
  /** A message ignores the per-direction FIFO order and may overtake earlier ones. */
  readonly reorderRate?: number
  /**
   * A lost message ends its connection (both sides see the peer disconnect, and the link
   * reconnects after `reconnectDelayMs`), as a lost TCP segment that is never retransmitted
   * ends a WebSocket. Default true. With false, losses are silent and only a later reconnect
   * (a partition healing, {@link SimNetwork.bounce}) restarts sync.
   */
  readonly dropBreaksConnection?: boolean
  /** Delay before a broken connection comes back, ms. Default 100. */
  readonly reconnectDelayMs?: number
}

/** What a node is, for the device's status: hub and relay nodes are upstream. */
export type SimNodeKind = 'device' | EndpointKind

/** Options of {@link createSimNetwork}. */
export interface SimNetworkOptions {
  /** Seed of every random choice the network makes (delays, faults). */
  readonly seed: number
  readonly faults?: SimFaults
}

/** Counters of what the network did. */
export interface SimStats {
  sent: number
  delivered: number
  dropped: number
  duplicated: number
  reordered: number
  disconnects: number
}

/** A simulated network between named nodes. */
export interface SimNetwork {
  /** The network's seeded random source (also handy for the test's own choices). */
  readonly random: () => number
  readonly stats: SimStats
  /** Replaces the fault model from now on. */
  setFaults(faults: SimFaults): void
  /**
   * A network adapter for node `name` (give it to the node's Repo or `openDevice({ network })`).
   * Creating a new adapter for a name replaces the previous one (a restarted process): the old
   * one is dead. `time` is the node's clock for the clock handshake (hub/relay), default `Date.now`.
   */
  adapter(name: string, options?: { kind?: SimNodeKind; time?: () => number }): SimNetworkAdapter
  /** Declares a link between two nodes (up). */
  link(a: string, b: string): void
  /** Cuts the link between two nodes (both see the peer disconnect). */
  partition(a: string, b: string): void
  /** Restores a cut link (both see the peer connect: sync restarts). */
  heal(a: string, b: string): void
  /** Cuts every link of a node. */
  isolate(name: string): void
  /** Restores every link. */
  healAll(): void
  /** Disconnects and reconnects links (all, or those of one node): restarts sync on them. */
  bounce(name?: string): void
  /** The current adapter of a node dies without a goodbye (a crash). */
  kill(name: string): void
  /** True when the link between `a` and `b` is declared and up. */
  isUp(a: string, b: string): boolean
  /** Messages in flight. */
  inFlight(): number
}

interface LinkState {
  readonly a: string
  readonly b: string
  up: boolean
  /** Bumped every time the connection closes: messages of an older epoch are lost. */
  epoch: number
  open: boolean
  lastConnectedAt: number | null
  reconnectTimer: ReturnType<typeof setTimeout> | undefined
  /** A loss happened: the connection is about to close; nothing more gets through. */
  breaking: boolean
}

/**
 * A network adapter of the {@link SimNetwork}. Implements {@link SyncLink} so a device on it
 * reports hub/relay links in its status and calibrates its clock against the hub/relay node's time.
 */
export class SimNetworkAdapter extends NetworkAdapter implements SyncLink {
  readonly isSyncLink = true as const
  readonly name: string
  readonly kind: SimNodeKind
  readonly time: () => number
  #net: SimNetworkImpl
  alive = true
  connected = false
  #listeners = new Set<() => void>()

  /** @internal */
  constructor(net: SimNetworkImpl, name: string, kind: SimNodeKind, time: () => number) {
    super()
    this.#net = net
    this.name = name
    this.kind = kind
    this.time = time
  }

  isReady(): boolean {
    return true
  }

  whenReady(): Promise<void> {
    return Promise.resolve()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    if (!this.alive) return
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.connected = true
    this.#net.nodeConnected(this)
  }

  disconnect(): void {
    if (!this.alive || !this.connected) return
    this.connected = false
    this.#net.nodeDisconnected(this)
  }

  send(message: Message): void {
    if (!this.alive || !this.connected) return
    this.#net.route(this, message)
  }

  endpoints(): readonly EndpointStatus[] {
    return this.#net.endpointsOf(this)
  }

  onEndpointsChange(cb: () => void): () => void {
    this.#listeners.add(cb)
    return () => this.#listeners.delete(cb)
  }

  kindOf(peerId: PeerId): EndpointKind | undefined {
    const kind = this.#net.kindOfPeer(peerId)
    return kind === 'device' ? undefined : kind
  }

  async referenceTime(peerId: PeerId): Promise<number> {
    const node = this.#net.adapterOfPeer(peerId)
    if (!node) throw new Error(`no route to ${peerId}`)
    return node.time()
  }

  /** @internal */
  notifyEndpoints(): void {
    for (const cb of [...this.#listeners]) cb()
  }
}

/** @internal */
class SimNetworkImpl implements SimNetwork {
  readonly random: () => number
  readonly stats: SimStats = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    disconnects: 0,
  }
  #faults: Required<SimFaults>
  #nodes = new Map<string, SimNetworkAdapter>()
  #links = new Map<string, LinkState>()
  #lastDelivery = new Map<string, number>()
  #inFlight = 0

  constructor(options: SimNetworkOptions) {
    this.random = seededRandom(options.seed)
    this.#faults = withDefaults(options.faults ?? {})
  }

  setFaults(faults: SimFaults): void {
    this.#faults = withDefaults(faults)
  }

  adapter(name: string, options: { kind?: SimNodeKind; time?: () => number } = {}) {
    const old = this.#nodes.get(name)
    if (old) this.kill(name)
    const adapter = new SimNetworkAdapter(
      this,
      name,
      options.kind ?? 'device',
      options.time ?? (() => Date.now()),
    )
    this.#nodes.set(name, adapter)
    return adapter
  }

  link(a: string, b: string): void {
    const key = linkKey(a, b)
    if (!this.#links.has(key)) {
      this.#links.set(key, {
        a,
        b,
        up: true,
        epoch: 0,
        open: false,
        lastConnectedAt: null,
        reconnectTimer: undefined,
        breaking: false,
      })
    }
    this.#links.get(key)!.up = true
    this.#tryOpen(this.#links.get(key)!)
  }

  partition(a: string, b: string): void {
    const link = this.#links.get(linkKey(a, b))
    if (!link) return
    link.up = false
    clearTimeout(link.reconnectTimer)
    this.#close(link)
  }

  heal(a: string, b: string): void {
    const link = this.#links.get(linkKey(a, b))
    if (!link) return
    link.up = true
    this.#tryOpen(link)
  }

  isolate(name: string): void {
    for (const link of this.#links.values()) {
      if (link.a === name || link.b === name) this.partition(link.a, link.b)
    }
  }

  healAll(): void {
    for (const link of this.#links.values()) this.heal(link.a, link.b)
  }

  bounce(name?: string): void {
    for (const link of this.#links.values()) {
      if (name !== undefined && link.a !== name && link.b !== name) continue
      if (!link.open) continue
      this.#close(link)
      this.#tryOpen(link)
    }
  }

  kill(name: string): void {
    const node = this.#nodes.get(name)
    if (!node) return
    node.alive = false
    for (const link of this.#links.values()) {
      if (link.a === name || link.b === name) this.#close(link, node)
    }
    this.#nodes.delete(name)
  }

  isUp(a: string, b: string): boolean {
    return this.#links.get(linkKey(a, b))?.up ?? false
  }

  inFlight(): number {
    return this.#inFlight
  }

  // --- called by adapters --------------------------------------------------------------------

  nodeConnected(node: SimNetworkAdapter): void {
    for (const link of this.#links.values()) {
      if (link.a === node.name || link.b === node.name) this.#tryOpen(link)
    }
  }

  nodeDisconnected(node: SimNetworkAdapter): void {
    for (const link of this.#links.values()) {
      if (link.a === node.name || link.b === node.name) this.#close(link)
    }
  }

  route(from: SimNetworkAdapter, message: Message): void {
    this.stats.sent++
    const to = this.adapterOfPeer(message.targetId)
    const link = to ? this.#links.get(linkKey(from.name, to.name)) : undefined
    if (!to || !link || !link.open) {
      this.stats.dropped++
      return
    }
    const f = this.#faults
    if (link.breaking) {
      this.stats.dropped++
      return
    }
    if (this.random() < f.dropRate) {
      this.stats.dropped++
      if (f.dropBreaksConnection) this.#break(link, f.reconnectDelayMs)
      return
    }
    const copies = this.random() < f.duplicateRate ? 2 : 1
    if (copies === 2) this.stats.duplicated++
    for (let i = 0; i < copies; i++) this.#schedule(from, to, link, message)
  }

  endpointsOf(node: SimNetworkAdapter): EndpointStatus[] {
    const out: EndpointStatus[] = []
    for (const link of this.#links.values()) {
      const other = link.a === node.name ? link.b : link.b === node.name ? link.a : undefined
      if (other === undefined) continue
      const remote = this.#nodes.get(other)
      const kind = remote?.kind ?? kindFromName(other)
      if (kind === 'device') continue
      out.push({
        url: `sim://${other}`,
        kind,
        state: link.open
          ? EndpointState.open
          : link.up
            ? EndpointState.connecting
            : EndpointState.closed,
        lastConnectedAt: link.lastConnectedAt,
        peerId: link.open ? remote?.peerId : undefined,
      })
    }
    return out
  }

  kindOfPeer(peerId: PeerId): SimNodeKind | undefined {
    return this.adapterOfPeer(peerId)?.kind
  }

  adapterOfPeer(peerId: PeerId): SimNetworkAdapter | undefined {
    for (const node of this.#nodes.values()) if (node.peerId === peerId && node.alive) return node
    return undefined
  }

  // --- internals -------------------------------------------------------------------------------

  #schedule(from: SimNetworkAdapter, to: SimNetworkAdapter, link: LinkState, message: Message) {
    const f = this.#faults
    const now = Date.now()
    const delay = f.minDelayMs + Math.floor(this.random() * (f.maxDelayMs - f.minDelayMs + 1))
    const dir = `${from.name}\u0000${to.name}`
    let at = now + delay
    if (this.random() < f.reorderRate) {
      this.stats.reordered++
    } else {
      at = Math.max(at, this.#lastDelivery.get(dir) ?? 0)
      this.#lastDelivery.set(dir, at)
    }
    const epoch = link.epoch
    this.#inFlight++
    setTimeout(() => {
      this.#inFlight--
      if (link.epoch !== epoch || !link.open || !to.alive || !to.connected) {
        this.stats.dropped++
        return
      }
      this.stats.delivered++
      to.emit('message', { ...message })
    }, at - now)
  }

  /**
   * Ends a connection after a loss. Like a socket's close event, the disconnect is reported
   * asynchronously, never from inside `send()`: automerge-repo is not re-entrant there (a
   * synchronous peer-disconnected while it applies a sync message can mark a document that just
   * received content unavailable, and it then saves an empty snapshot over the document).
   */
  #break(link: LinkState, reconnectDelayMs: number): void {
    link.breaking = true
    setTimeout(() => {
      link.breaking = false
      this.#close(link)
      clearTimeout(link.reconnectTimer)
      link.reconnectTimer = setTimeout(() => this.#tryOpen(link), reconnectDelayMs)
    }, 0)
  }

  #tryOpen(link: LinkState): void {
    if (link.open || !link.up) return
    const a = this.#nodes.get(link.a)
    const b = this.#nodes.get(link.b)
    if (!a?.alive || !b?.alive || !a.connected || !b.connected || !a.peerId || !b.peerId) return
    link.open = true
    link.lastConnectedAt = Date.now()
    a.emit('peer-candidate', { peerId: b.peerId, peerMetadata: b.peerMetadata ?? {} })
    b.emit('peer-candidate', { peerId: a.peerId, peerMetadata: a.peerMetadata ?? {} })
    a.notifyEndpoints()
    b.notifyEndpoints()
  }

  #close(link: LinkState, dead?: SimNetworkAdapter): void {
    if (!link.open) return
    link.open = false
    link.epoch++
    this.stats.disconnects++
    for (const [self, other] of [
      [link.a, link.b],
      [link.b, link.a],
    ] as const) {
      const node = this.#nodes.get(self)
      const peer = this.#nodes.get(other)
      if (!node || node === dead || !node.alive || !peer?.peerId) continue
      node.emit('peer-disconnected', { peerId: peer.peerId })
      node.notifyEndpoints()
    }
    this.#lastDelivery.delete(`${link.a}\u0000${link.b}`)
    this.#lastDelivery.delete(`${link.b}\u0000${link.a}`)
  }
}

function withDefaults(f: SimFaults): Required<SimFaults> {
  return {
    minDelayMs: f.minDelayMs ?? 1,
    maxDelayMs: f.maxDelayMs ?? 20,
    dropRate: f.dropRate ?? 0,
    duplicateRate: f.duplicateRate ?? 0,
    reorderRate: f.reorderRate ?? 0,
    dropBreaksConnection: f.dropBreaksConnection ?? true,
    reconnectDelayMs: f.reconnectDelayMs ?? 100,
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
}

function kindFromName(name: string): SimNodeKind {
  return name === 'hub' ? 'hub' : name === 'relay' ? 'relay' : 'device'
}

/**
 * Creates a simulated network: named nodes, links that can be cut and healed, a seeded
 * scheduler that delays, drops, duplicates and reorders messages, and crashes. Works with fake
 * timers (`vi.useFakeTimers`) for fast deterministic runs, or real ones.
 *
 * @example
 * const net = createSimNetwork({ seed: 7, faults: { dropRate: 0.01 } })
 * const hub = new Repo({ network: [net.adapter('hub', { kind: 'hub' })], peerId: 'hub' as PeerId })
 * const till = await openDevice({ deviceId: 'till-1', storage: 'memory', network: [net.adapter('till-1')] })
 * net.link('till-1', 'hub')
 * net.partition('till-1', 'hub') // till-1 is offline
 */
export function createSimNetwork(options: SimNetworkOptions): SimNetwork {
  return new SimNetworkImpl(options)
}
