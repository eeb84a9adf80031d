import { cbor } from '@automerge/automerge-repo'
import type WebSocket from 'ws'
import { HEARTBEAT_FRAME_TYPE, SYNC_SUBPROTOCOL } from '@tabsync/protocol'

/** Default heartbeat interval (ms): the relay pings and sends a heartbeat frame this often. */
export const DEFAULT_HEARTBEAT_MS = 2_500

/**
 * Intervals without a pong after which a socket is dead. 3 x 2.5 s: a silent client is dropped
 * within 7.5-10 s, and one slow answer on a congested Wi-Fi does not cost a reconnect.
 */
export const MISSED_HEARTBEATS_LIMIT = 3

/** What the heartbeat needs of one connection. */
export interface HeartbeatTarget {
  readonly socket: WebSocket
  /** Set true by the connection on every pong. */
  alive: boolean
  /** The client's peer id once joined. */
  readonly peerId: string | undefined
  /** Sends raw bytes if the socket is open. */
  send(bytes: Uint8Array): boolean
}

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  readonly intervalMs: number
  readonly targets: () => Iterable<HeartbeatTarget>
  /** The relay's peer id (the heartbeat frame's sender). */
  readonly senderId: () => string | undefined
}

/**
 * Liveness of the relay's device sockets, both ways. Every interval each socket gets a
 * WebSocket ping (a socket whose pongs stopped for {@link MISSED_HEARTBEATS_LIMIT} intervals is
 * terminated: its device's peer leaves the repo instead of lingering "connected"), and each
 * joined socket that negotiated `tabsync.v1` gets a small CBOR heartbeat frame. Browsers answer
 * pings but cannot see them, so the frame is what lets a device notice a silent relay; the
 * `peer` answer to `join` advertises the interval ({@link heartbeatAdvert}).
 */
export class Heartbeat {
  readonly intervalMs: number
  readonly #options: HeartbeatOptions
  readonly #missed = new WeakMap<HeartbeatTarget, number>()
  readonly #timer: ReturnType<typeof setInterval>

  constructor(options: HeartbeatOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('heartbeat interval must be > 0')
    this.intervalMs = options.intervalMs
    this.#options = options
    this.#timer = setInterval(() => this.beat(), options.intervalMs)
    this.#timer.unref()
  }

  /** One round: ping everyone, heartbeat the joined v1 clients, drop the silent. */
  beat(): void {
    const senderId = this.#options.senderId()
    for (const target of this.#options.targets()) {
      const missed = target.alive ? 0 : (this.#missed.get(target) ?? 0) + 1
      this.#missed.set(target, missed)
      if (missed >= MISSED_HEARTBEATS_LIMIT) {
        target.socket.terminate()
        continue
      }
      target.alive = false
      try {
        target.socket.ping()
      } catch {
        target.socket.terminate()
        continue
      }
      if (senderId !== undefined && target.peerId !== undefined && speaksV1(target.socket)) {
        target.send(cbor.encode({ type: HEARTBEAT_FRAME_TYPE, senderId, targetId: target.peerId }))
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}

/** True when the client negotiated `tabsync.v1` (it understands heartbeat frames). */
export function speaksV1(socket: Pick<WebSocket, 'protocol'>): boolean {
  return socket.protocol === SYNC_SUBPROTOCOL
}

/** The field added to the `peer` frame of a v1 client: how often it will hear from the relay. */
export function heartbeatAdvert(
  socket: Pick<WebSocket, 'protocol'>,
  intervalMs: number,
): { heartbeatMs?: number } {
  return speaksV1(socket) ? { heartbeatMs: intervalMs } : {}
}
