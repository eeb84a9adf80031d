// A relay Repo and device Repos joined by in-memory links (no sockets): for tests of run-time
// hooks into automerge-repo that need several peers of one Repo and exact control of its share
// config. Messages are delivered on a later macrotask, as a socket would.
import {
  NetworkAdapter,
  Repo,
  type Message,
  type PeerId,
  type PeerMetadata,
  type RepoConfig,
} from '@automerge/automerge-repo'

/** The relay's end: one adapter for every device, routing by target peer id. */
class RelayEnd extends NetworkAdapter {
  readonly devices = new Map<string, DeviceEnd>()
  /** Messages the relay received, by type (tests). */
  readonly received = new Map<string, number>()
  isReady = (): boolean => true
  whenReady = (): Promise<void> => Promise.resolve()
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
  }
  disconnect(): void {}
  send(message: Message): void {
    const device = this.devices.get(message.targetId)
    if (device) setTimeout(() => device.emit('message', message), 0)
  }
  deliver(message: Message): void {
    this.received.set(message.type, (this.received.get(message.type) ?? 0) + 1)
    this.emit('message', message)
  }
}

class DeviceEnd extends NetworkAdapter {
  readonly #relay: RelayEnd
  constructor(relay: RelayEnd) {
    super()
    this.#relay = relay
  }
  isReady = (): boolean => true
  whenReady = (): Promise<void> => Promise.resolve()
  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    const relay = this.#relay
    relay.devices.set(peerId, this)
    // Next macrotask: the relay's own adapter is connected (has its peer id) by then.
    setTimeout(() => {
      this.emit('peer-candidate', { peerId: relay.peerId as PeerId, peerMetadata: {} })
      relay.emit('peer-candidate', { peerId, peerMetadata: {} })
    }, 0)
  }
  disconnect(): void {}
  send(message: Message): void {
    setTimeout(() => this.#relay.deliver(message), 0)
  }
}

export interface MemoryStar {
  readonly relay: Repo
  readonly devices: Repo[]
  /** Messages the relay received, by type. */
  readonly received: ReadonlyMap<string, number>
  shutdown(): Promise<void>
}

/** A relay Repo (`shareConfig`, peer id `relay`) and `count` devices `till-0`... linked to it. */
export function memoryStar(
  count: number,
  shareConfig: NonNullable<RepoConfig['shareConfig']>,
): MemoryStar {
  const end = new RelayEnd()
  const relay = new Repo({ network: [end], peerId: 'relay' as PeerId, shareConfig })
  const devices = Array.from(
    { length: count },
    (_, i) => new Repo({ network: [new DeviceEnd(end)], peerId: `till-${i}` as PeerId }),
  )
  return {
    relay,
    devices,
    received: end.received,
    shutdown: async () => {
      await Promise.all([relay, ...devices].map((r) => r.shutdown()))
    },
  }
}
