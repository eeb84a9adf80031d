// The link to a relay cluster: it fails over along its URL list and follows CloseCode.moved.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Repo, type PeerId } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { afterEach, expect, test } from 'vitest'
import { CloseCode, MemoryStorageAdapter, WebSocketLink } from '../src/index.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function listen(http: Server): Promise<string> {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()))
  cleanups.push(() => new Promise<void>((r) => http.close(() => r())))
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/sync`
}

/** A node serving the store: a plain automerge-repo server. */
async function owner(): Promise<string> {
  const wss = new WebSocketServer({ noServer: true })
  const repo = new Repo({
    storage: new MemoryStorageAdapter(),
    network: [new WebSocketServerAdapter(wss as never)],
    peerId: 'owner-node' as PeerId,
    sharePolicy: async () => true,
  })
  await repo.storageId()
  await new Promise((r) => setTimeout(r, 20))
  const http = createServer((_req, res) => res.writeHead(404).end())
  http.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
  )
  cleanups.push(async () => {
    http.closeAllConnections()
    await repo.shutdown().catch(() => {})
  })
  return listen(http)
}

/** A node that does not serve the store: it sends every socket to `target`. */
async function redirector(target: string, seen: string[]): Promise<string> {
  const wss = new WebSocketServer({ noServer: true })
  const http = createServer((_req, res) => res.writeHead(404).end())
  http.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      seen.push(req.url ?? '')
      ws.close(CloseCode.moved, target)
    }),
  )
  cleanups.push(() => http.closeAllConnections())
  return listen(http)
}

async function deadUrl(): Promise<string> {
  const http = createServer()
  const url = await listen(http)
  await cleanups.pop()!() // closed again: nothing listens there now
  return url
}

test('a link tries the next cluster node when one is down, and follows "moved" to the owner', async () => {
  const target = await owner()
  const seen: string[] = []
  const mover = await redirector(target, seen)
  const dead = await deadUrl()
  const link = new WebSocketLink({
    url: dead,
    alternateUrls: [mover],
    kind: 'relay',
    token: 'good',
    backoff: { initialMs: 20, maxMs: 100 },
  })
  const repo = new Repo({ network: [link], peerId: 'till-1/a' as PeerId })
  cleanups.push(() => repo.shutdown().catch(() => {}))
  for (let i = 0; i < 400 && link.endpoints()[0]?.state !== 'open'; i++) {
    await new Promise((r) => setTimeout(r, 25))
  }
  expect(link.endpoints()[0]?.state).toBe('open')
  expect(link.url).toBe(target)
  // The redirecting node was reached (after the dead one) and the link went where it said.
  expect(seen.length).toBeGreaterThanOrEqual(1)
})
