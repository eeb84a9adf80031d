// The floor: a bare WebSocket relay. `/echo` echoes every frame; any other path forwards every
// frame to every other socket on the same path (A -> relay -> B), with no parsing at all.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

/** A running bare relay. */
export interface BareRelay {
  readonly port: number
  close(): Promise<void>
}

/** Starts the bare relay on loopback. */
export async function startBareRelay(port = 0): Promise<BareRelay> {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  const rooms = new Map<string, Set<WebSocket>>()
  wss.on('connection', (ws, req) => {
    const room = req.url ?? '/'
    if (room === '/echo') {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
      return
    }
    const peers = rooms.get(room) ?? new Set<WebSocket>()
    rooms.set(room, peers)
    peers.add(ws)
    ws.on('close', () => peers.delete(ws))
    ws.on('message', (data, isBinary) => {
      for (const p of peers) if (p !== ws) p.send(data, { binary: isBinary })
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
