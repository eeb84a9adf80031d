import type { Principal } from '../access/principal.js'

/**
 * The principals of the peers currently joined (devices and, on a hub, the upstream relay):
 * what the repo's share config and the metrics ask about. Per-connection state, rebuilt by
 * reconnecting clients, so nothing here needs to survive a restart.
 */
export class PeerDirectory {
  readonly #byPeer = new Map<string, Principal>()
  #version = 0

  add(principal: Principal): void {
    this.#byPeer.set(principal.peerId, principal)
    this.#version += 1
  }

  remove(peerId: string, principal?: Principal): void {
    if (principal === undefined || this.#byPeer.get(peerId) === principal)
      if (this.#byPeer.delete(peerId)) this.#version += 1
  }

  /** Moves whenever a peer joins or leaves (what the share config answers may change). */
  get version(): number {
    return this.#version
  }

  get(peerId: string): Principal | undefined {
    return this.#byPeer.get(peerId)
  }

  /** Distinct joined devices per store (the upstream relay is not counted). */
  devicesPerStore(): Map<string, number> {
    const devices = new Map<string, Set<string>>()
    for (const p of this.#byPeer.values()) {
      if (p.upstream) continue
      for (const storeId of p.storeIds) {
        let set = devices.get(storeId)
        if (!set) devices.set(storeId, (set = new Set()))
        set.add(p.deviceId)
      }
    }
    return new Map([...devices].map(([storeId, set]) => [storeId, set.size]))
  }

  get size(): number {
    return this.#byPeer.size
  }
}
