// A device network adapter whose socket the test controls: it can stop hearing the relay on the
// current socket (a link dead in one direction, the relay none the wiser) and open a new socket
// with the same peer id while the old one is still open, as a device does after its silence
// deadline. The relay then replaces (4010) the old socket.
import {
  NetworkAdapter,
  cbor,
  type Message,
  type PeerId,
  type PeerMetadata,
} from '@automerge/automerge-repo'
import WebSocket from 'ws'
import { tokenSubprotocols } from '@tabsync/protocol'

export class SwitchableClient extends NetworkAdapter {
  #socket: WebSocket | undefined
  #deaf = false
  #remote: PeerId | undefined
  #joined: (() => void) | undefined
  /** Frames about documents the relay sent on a socket this client no longer heard. */
  lostDocumentFrames = 0

  readonly syncUrl: string
  readonly token: string

  constructor(syncUrl: string, token: string) {
    super()
    this.syncUrl = syncUrl
    this.token = token
  }

  isReady(): boolean {
    return this.#remote !== undefined
  }

  whenReady(): Promise<void> {
    return this.#remote ? Promise.resolve() : new Promise((r) => (this.#joined = r))
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    void this.#open()
  }

  /** From now on, whatever the relay sends on the current socket is lost. */
  deafen(): void {
    this.#deaf = true
  }

  /**
   * Opens a new socket with the same peer id, the old one left open (the relay closes it with
   * 4010); resolves once the relay answered the join on it. The repo sees the relay leave and
   * come back, as with a device's own link.
   */
  async replace(): Promise<void> {
    const remote = this.#remote
    this.#remote = undefined
    if (remote) this.emit('peer-disconnected', { peerId: remote })
    const joined = new Promise<void>((r) => (this.#joined = r))
    await this.#open()
    await joined
  }

  send(message: Message): void {
    if (this.#socket?.readyState === WebSocket.OPEN)
      this.#socket.send(cbor.encode(message as unknown as Record<string, unknown>))
  }

  disconnect(): void {
    this.#socket?.terminate()
    this.#socket = undefined
  }

  async #open(): Promise<void> {
    const socket = new WebSocket(this.syncUrl, tokenSubprotocols(this.token))
    this.#socket = socket
    this.#deaf = false
    socket.on('error', () => {})
    socket.on('message', (data: Buffer) => {
      const frame = cbor.decode(new Uint8Array(data)) as Message & { type: string }
      if (socket !== this.#socket || this.#deaf) {
        if ('documentId' in frame) this.lostDocumentFrames += 1
        return
      }
      if (frame.type === 'peer') {
        this.#remote = frame.senderId
        this.emit('peer-candidate', { peerId: frame.senderId, peerMetadata: {} })
        this.#joined?.()
        return
      }
      if (frame.type === 'tabsync-heartbeat') return
      this.emit('message', frame)
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('unexpected-response', () => reject(new Error('upgrade refused')))
    })
    socket.send(
      cbor.encode({
        type: 'join',
        senderId: this.peerId,
        peerMetadata: this.peerMetadata,
        supportedProtocolVersions: ['1'],
      }),
    )
  }
}
