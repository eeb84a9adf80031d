// The WebSocket link against real sockets on port 0: backoff schedule, 401, reconnect, /time.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Repo, type PeerId } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { afterEach, expect, test, vi } from 'vitest'
import {
  backoffDelay,
  backoffSchedule,
  DEFAULT_BACKOFF,
  MemoryStorageAdapter,
  openDevice,
  WebSocketLink,
  type Device,
  type SyncStatus,
} from '../src/index.js'
import { seededRandom } from '../src/testing/index.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

test('reconnect delays grow exponentially, are jittered and capped', () => {
  const high = backoffSchedule(12, {}, () => 0.999999)
  const low = backoffSchedule(12, {}, () => 0)
  // Ceilings double from 500 ms up to the 30 s cap.
  expect(high.slice(0, 6)).toEqual([500, 1000, 2000, 4000, 8000, 16000])
  expect(high.slice(6)).toEqual(Array(6).fill(DEFAULT_BACKOFF.maxMs))
  // Jitter: half of each delay is random, so the floor is half the ceiling.
  expect(low.slice(0, 3)).toEqual([250, 500, 1000])
  expect(low.slice(6)).toEqual(Array(6).fill(DEFAULT_BACKOFF.maxMs / 2))
  // Two tills drawing different random numbers do not retry in lockstep.
  const a = backoffSchedule(8, {}, seededRandom(1))
  const b = backoffSchedule(8, {}, seededRandom(2))
  expect(a).not.toEqual(b)
  for (let i = 0; i < 8; i++) {
    for (const s of [a, b]) {
      expect(s[i]).toBeGreaterThanOrEqual(low[i]!)
      expect(s[i]).toBeLessThanOrEqual(high[i]!)
    }
  }
  // Never above the cap, whatever the attempt number or options.
  expect(backoffDelay(1000, { maxMs: 5000 }, () => 0.999)).toBeLessThanOrEqual(5000)
  expect(backoffDelay(3, { initialMs: 100, factor: 3, jitter: 0 }, () => 0.5)).toBe(2700)
})

interface TestServer {
  readonly url: string
  /** Every upgrade: its URL and the token it offered (as a subprotocol). */
  readonly upgrades: { url: string; token: string | undefined }[]
  readonly repo: Repo | undefined
  /** Drops every open socket (the relay restarting). */
  dropAll(): void
  close(): Promise<void>
}

/** The token of a request, the way @tabsync/relay reads it (subprotocol, then bearer). */
function offeredToken(req: IncomingMessage): string | undefined {
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',')
  const fromProtocol = protocols.map((p) => p.trim()).find((p) => p.startsWith('tabsync.token.'))
  if (fromProtocol) return fromProtocol.slice('tabsync.token.'.length)
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
}

/**
 * A tiny relay stand-in: /time, /healthz, and an upgrade that accepts only the token `good`.
 * Its `/time` names `features` when given, else none (as relays before them).
 */
async function startServer(options: {
  accept: boolean
  now?: () => number
  port?: number
  features?: readonly string[]
}): Promise<TestServer> {
  const upgrades: TestServer['upgrades'] = []
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has('tabsync.v1') ? 'tabsync.v1' : false),
  })
  let repo: Repo | undefined
  if (options.accept) {
    repo = new Repo({
      storage: new MemoryStorageAdapter(),
      network: [new WebSocketServerAdapter(wss as never)],
      peerId: 'test-relay' as PeerId,
      sharePolicy: async () => true,
    })
    await repo.storageId()
    await new Promise((r) => setTimeout(r, 20))
  }
  const http: Server = createServer((req, res) => {
    if (req.url === '/time') {
      res.writeHead(200, { 'content-type': 'application/json' })
      const now = (options.now ?? Date.now)()
      res.end(JSON.stringify(options.features ? { now, features: options.features } : { now }))
      return
    }
    if (req.url === '/healthz') {
      res.writeHead(200).end('{}')
      return
    }
    res.writeHead(offeredToken(req) === 'good' && options.accept ? 426 : 401).end()
  })
  http.on('upgrade', (req, socket, head) => {
    const token = offeredToken(req)
    upgrades.push({ url: req.url ?? '', token })
    if (!options.accept || token !== 'good') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  await new Promise<void>((r) => http.listen(options.port ?? 0, '127.0.0.1', r))
  const port = (http.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    upgrades,
    repo,
    dropAll() {
      for (const c of wss.clients) c.terminate()
    },
    async close() {
      for (const c of wss.clients) c.terminate()
      await repo?.shutdown().catch(() => undefined)
      wss.close()
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
    },
  }
}

function waitForStatus(device: Device, ok: (s: SyncStatus) => boolean): Promise<SyncStatus> {
  return new Promise((resolve) => {
    if (ok(device.status())) return resolve(device.status())
    const off = device.onStatus((s) => {
      if (ok(s)) {
        off()
        resolve(s)
      }
    })
  })
}

test('a 401 at the upgrade stops retrying and the status says token-rejected', async () => {
  const server = await startServer({ accept: false })
  cleanups.push(() => server.close())
  const device = await openDevice({
    deviceId: 'till-1',
    storage: 'memory',
    token: 'bad',
    endpoints: [{ url: server.url, kind: 'relay' }],
    backoff: { initialMs: 10, maxMs: 20 },
  })
  cleanups.push(() => device.close())
  const status = await waitForStatus(device, (s) => s.endpoints[0]?.state === 'token-rejected')
  expect(status.state).toBe('offline')
  expect(server.upgrades).toHaveLength(1)
  // The token travelled as a subprotocol; the URL carries none.
  expect(server.upgrades[0]).toEqual({ url: '/sync', token: 'bad' })
  // With a 10-20 ms backoff, a retrying client would have come back many times by now.
  await new Promise((r) => setTimeout(r, 200))
  expect(server.upgrades).toHaveLength(1)
  expect(device.status().endpoints[0]?.state).toBe('token-rejected')
})

test('an unreachable endpoint is retried with growing delays, then connects when the server appears', async () => {
  // Reserve a port, then free it: nothing listens there yet.
  const probe = await startServer({ accept: false })
  const url = probe.url
  const port = Number(new URL(url).port)
  await probe.close()
  const link = new WebSocketLink({
    url,
    kind: 'relay',
    token: 'good',
    backoff: { initialMs: 5, maxMs: 40, jitter: 0 },
  })
  const device = await openDevice({ deviceId: 'till-2', storage: 'memory', network: [link] })
  cleanups.push(() => device.close())
  await vi.waitFor(() => expect(link.delays.length).toBeGreaterThanOrEqual(6), {
    timeout: 10_000,
    interval: 10,
  })
  // Doubling from 5 ms, then the 40 ms cap: the schedule the options ask for, not the one seen.
  expect(link.delays.slice(0, 6)).toEqual([5, 10, 20, 40, 40, 40])
  expect(device.status().state).toBe('offline')

  // The server comes up on that port: the next retry connects and the device goes online.
  const server = await startServer({ accept: true, port })
  cleanups.push(() => server.close())
  const online = await waitForStatus(device, (s) => s.state === 'online')
  expect(online.peers).toEqual(['test-relay'])
  expect(server.upgrades.map((u) => u.token)).toEqual(['good'])
  expect(online.endpoints[0]?.lastConnectedAt).not.toBeNull()
})

test('connects, reads the relay time, syncs, and reconnects after the server drops the socket', async () => {
  const AHEAD = 5 * 60_000
  const server = await startServer({ accept: true, now: () => Date.now() + AHEAD })
  cleanups.push(() => server.close())
  const device = await openDevice({
    deviceId: 'till-3',
    storage: 'memory',
    token: 'good',
    endpoints: [{ url: server.url, kind: 'relay' }],
    backoff: { initialMs: 10, maxMs: 50 },
  })
  cleanups.push(() => device.close())
  const online = await waitForStatus(device, (s) => s.state === 'online' && s.skew !== undefined)
  expect(online.peers).toEqual(['test-relay'])
  expect(online.skew!.flagged).toBe(true)
  expect(Math.abs(online.skew!.offsetMs - AHEAD)).toBeLessThan(2_000)

  const { DEMO_TABLES, demoStoreInit } = await import('@tabsync/core/demo')
  await device.createStore({ ...demoStoreInit('store-1', () => ''), tables: DEMO_TABLES })
  await waitForStatus(device, (s) => s.unsynced === 0 && s.lastSyncAt !== null)

  server.dropAll()
  await waitForStatus(device, (s) => s.state === 'offline')
  const back = await waitForStatus(device, (s) => s.state === 'online')
  expect(back.endpoints[0]?.lastConnectedAt).not.toBeNull()
  // Work done after the reconnect reaches the server.
  const { url } = await device.openOrder('t1')
  await waitForStatus(device, (s) => s.unsynced === 0)
  const handle = await server.repo!.find(url)
  expect(handle.isReady()).toBe(true)
})

test('reconnect() skips the backoff wait: a till whose relay comes back connects at once', async () => {
  const first = await startServer({ accept: true })
  const url = first.url
  const port = Number(new URL(url).port)
  await first.close()
  const link = new WebSocketLink({
    url,
    kind: 'relay',
    token: 'good',
    // A wait no test would sit through: only reconnect() can bring it back in time.
    backoff: { initialMs: 600_000, maxMs: 600_000, jitter: 0 },
  })
  const device = await openDevice({ deviceId: 'till-4', storage: 'memory', network: [link] })
  cleanups.push(() => device.close())
  await new Promise<void>((resolve) => {
    const wait = () => (link.delays.length > 0 ? resolve() : setTimeout(wait, 10))
    wait()
  })
  expect(link.delays).toEqual([600_000])
  const again = await startServer({ accept: true, port })
  cleanups.push(() => again.close())
  device.reconnect()
  const online = await waitForStatus(device, (s) => s.state === 'online')
  expect(online.peers).toEqual(['test-relay'])
})

test('a relay older than table-days is flagged for a store on them, and a new store there stays on table documents', async () => {
  const { DEMO_TABLES, demoStoreInit } = await import('@tabsync/core/demo')
  const init = (id: string) => ({ ...demoStoreInit(id, () => ''), tables: DEMO_TABLES })
  const old = await startServer({ accept: true })
  cleanups.push(() => old.close())
  const open = async (deviceId: string, url: string, online = true) => {
    const device = await openDevice({
      deviceId,
      storage: 'memory',
      token: 'good',
      endpoints: [{ url, kind: 'relay' }],
      backoff: { initialMs: 10, maxMs: 50 },
      online,
    })
    cleanups.push(() => device.close())
    return device
  }
  const answered = (s: SyncStatus) => s.endpoints.every((e) => e.features !== undefined)

  // A store made while offline opts in (no server said otherwise); its relay then answers.
  const offline = await open('till-a', old.url, false)
  await offline.createStore(init('store-a'))
  expect(offline.store().tableDaysFrom).toBeDefined()
  expect(offline.status().outdated).toEqual([])
  offline.setOnline(true)
  const flagged = await waitForStatus(offline, (s) => s.outdated.length > 0)
  expect(flagged.outdated).toEqual([{ url: old.url, missing: ['table-days'] }])

  // Created once the older relay answered: on table documents, or refused when a date is asked.
  const late = await open('till-b', old.url)
  await waitForStatus(late, answered)
  await expect(
    late.createStore({ ...init('store-b'), tableDaysFrom: '2026-01-01' }),
  ).rejects.toMatchObject({
    kind: 'server-outdated',
    details: { servers: [old.url] },
  })
  await late.createStore(init('store-b'))
  expect(late.store().tableDaysFrom).toBeUndefined()
  expect(late.status().outdated).toEqual([])

  // A relay that names table-days: the store opts in and nothing is flagged.
  const current = await startServer({ accept: true, features: ['table-days'] })
  cleanups.push(() => current.close())
  const fine = await open('till-c', current.url)
  await waitForStatus(fine, answered)
  await fine.createStore(init('store-c'))
  expect(fine.store().tableDaysFrom).toBeDefined()
  expect(fine.status().endpoints[0]?.features).toEqual(['table-days'])
  expect(fine.status().outdated).toEqual([])
})
