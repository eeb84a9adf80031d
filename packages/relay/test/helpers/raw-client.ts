import { cbor } from '@automerge/automerge-repo'
import WebSocket from 'ws'
import { tokenSubprotocols } from '@tabsync/protocol'

/** Outcome of a raw connection attempt. */
export type RawOutcome = { kind: 'http'; status: number } | { kind: 'open'; socket: WebSocket }

/**
 * Opens a raw ws socket, the token offered as a subprotocol as Tabsync devices do; resolves with
 * the HTTP status if the upgrade is refused.
 */
export function connectRaw(syncUrl: string, token?: string): Promise<RawOutcome> {
  const protocols = token === undefined ? [] : tokenSubprotocols(token)
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(syncUrl, protocols)
    socket.on('unexpected-response', (_req, res) => {
      resolve({ kind: 'http', status: res.statusCode ?? 0 })
      socket.terminate()
    })
    socket.on('open', () => resolve({ kind: 'open', socket }))
    socket.on('error', (err) => {
      if (!String(err.message).includes('closed before')) reject(err)
    })
  })
}

/** Resolves with the close code the server sends. */
export function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(-1)
    socket.once('close', (code) => resolve(code))
  })
}

/** Collects decoded frames from the server. */
export function collectFrames(socket: WebSocket): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = []
  socket.on('message', (data: Buffer) => frames.push(cbor.decode(new Uint8Array(data))))
  return frames
}

/** Sends a CBOR frame. */
export function sendFrame(socket: WebSocket, frame: object): void {
  socket.send(cbor.encode(frame))
}

/** Joins as `peerId`; resolves with the relay's peer id from its `peer` answer. */
export async function join(
  socket: WebSocket,
  peerId: string,
  frames = collectFrames(socket),
): Promise<string> {
  sendFrame(socket, {
    type: 'join',
    senderId: peerId,
    peerMetadata: {},
    supportedProtocolVersions: ['1'],
  })
  for (let i = 0; i < 400; i++) {
    const peer = frames.find((f) => f.type === 'peer')
    if (peer) return String(peer.senderId)
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('no peer message')
}
