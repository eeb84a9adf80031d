// How a token reaches the relay without a URL (subprotocol, Authorization header), the opt-in
// query string for old clients, and logs that never contain a token.
import { Writable } from 'node:stream'
import WebSocket from 'ws'
import { afterEach, expect, test } from 'vitest'
import { SYNC_SUBPROTOCOL } from '@tabsync/protocol'
import { createLogger } from '../src/log.js'
import { type RelayOptions, type RunningRelay } from '../src/server.js'
import { tokenFor } from './helpers/devices.js'
import { collectFrames, connectRaw, join } from './helpers/raw-client.js'
import { runCleanups } from './helpers/relay-process.js'
import { startTestRelay } from './helpers/test-relay.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

function relay(options: RelayOptions = {}): Promise<RunningRelay> {
  return startTestRelay(cleanups, options)
}

/** Opens a socket with `protocols`/`headers`; resolves with the upgrade's HTTP status or the socket. */
function upgrade(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers })
    socket.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 })
      socket.terminate()
    })
    socket.on('open', () => {
      cleanups.push(async () => socket.terminate())
      resolve({ status: 101, socket })
    })
    socket.on('error', (err) => {
      if (!String(err.message).includes('closed before')) reject(err)
    })
  })
}

/** A logger at trace level whose lines are kept. */
function capturedLogger() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return { logger: createLogger('trace', stream), lines }
}

test('the token offered as a subprotocol opens a socket, and the relay answers tabsync.v1, never the token', async () => {
  const r = await relay({ keepAliveMs: 100 })
  const token = await tokenFor('till-1', 'store-a')
  const outcome = await connectRaw(r.syncUrl, token)
  expect(outcome.kind).toBe('open')
  if (outcome.kind !== 'open') return
  cleanups.push(async () => outcome.socket.terminate())
  expect(outcome.socket.protocol).toBe(SYNC_SUBPROTOCOL)
  // The join answer advertises the heartbeat interval, and heartbeat frames follow.
  const frames = collectFrames(outcome.socket)
  await join(outcome.socket, 'till-1/a', frames)
  expect(frames.find((f) => f.type === 'peer')?.heartbeatMs).toBe(100)
  await new Promise((r) => setTimeout(r, 350))
  expect(frames.filter((f) => f.type === 'tabsync-heartbeat').length).toBeGreaterThanOrEqual(2)
}, 20_000)

test('a token in the query string is refused unless the relay opted in for old clients', async () => {
  const token = await tokenFor('till-1', 'store-a')
  const strict = await relay()
  expect((await upgrade(`${strict.syncUrl}?token=${token}`, [])).status).toBe(401)
  const probe = await fetch(`${strict.url}/sync?token=${token}`)
  expect(probe.status).toBe(401)
  const docs = await fetch(`${strict.url}/documents?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ids: ['4NMNnkMhL8jXrdJ9jamS58PAVdXu'] }),
  })
  expect(docs.status).toBe(401)

  const lenient = await relay({ allowQueryToken: true })
  const old = await upgrade(`${lenient.syncUrl}?token=${token}`, [])
  expect(old.status).toBe(101)
  // A stock client offers no subprotocol and gets none (its WebSocket would fail on one).
  expect(old.socket?.protocol).toBe('')
  expect((await fetch(`${lenient.url}/sync?token=${token}`)).status).toBe(426)
}, 20_000)

test('Node clients may send the token in an Authorization header, on the upgrade and over HTTP', async () => {
  const r = await relay()
  const token = await tokenFor('till-1', 'store-a')
  const bearer = { authorization: `Bearer ${token}` }
  expect((await upgrade(r.syncUrl, [], bearer)).status).toBe(101)
  expect((await fetch(`${r.url}/sync`, { headers: bearer })).status).toBe(426)
  expect((await fetch(`${r.url}/sync`, { headers: { authorization: 'Bearer nope' } })).status).toBe(
    401,
  )
  // CORS lets a browser send the header.
  const preflight = await fetch(`${r.url}/documents`, { method: 'OPTIONS' })
  expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/)
}, 20_000)

test('no log line of a relay and its hub contains a token, whatever the request did', async () => {
  const cloudLog = capturedLogger()
  const hubLog = capturedLogger()
  const cloud = await relay({ logger: cloudLog.logger, allowQueryToken: true })
  const hubToken = await tokenFor('hub-1', 'store-a', 'hub')
  const hub = await relay({
    logger: hubLog.logger,
    upstream: { url: `${cloud.syncUrl}?token=${hubToken}`, token: hubToken },
  })
  const good = await tokenFor('till-1', 'store-a')
  const foreign = await tokenFor('till-2', 'store-a')
  const expired = (await tokenFor('till-3', 'store-a')).replace(/\.[^.]+$/, '.forged')
  // Joins, a forged sender, bad tokens on every transport, refused documents requests.
  const ok = await connectRaw(hub.syncUrl, good)
  if (ok.kind === 'open') {
    cleanups.push(async () => ok.socket.terminate())
    await join(ok.socket, 'till-1/a')
  }
  const forged = await connectRaw(hub.syncUrl, foreign)
  if (forged.kind === 'open') {
    cleanups.push(async () => forged.socket.terminate())
    forged.socket.send(new Uint8Array([0xa0]))
  }
  await connectRaw(hub.syncUrl, expired)
  await upgrade(`${hub.syncUrl}?token=${good}`, [])
  await upgrade(hub.syncUrl, [], { authorization: `Bearer ${expired}` })
  await fetch(`${hub.url}/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${expired}` },
    body: 'not json',
  })
  await fetch(`${cloud.url}/sync?token=${expired}`)
  // Even a token logged by mistake, in a field or a message, leaves the logger scrubbed.
  hubLog.logger.warn(
    { url: `ws://x/sync?token=${good}`, token: good, header: `Bearer ${good}` },
    `oops ${good} tabsync.token.${good}`,
  )
  for (let i = 0; i < 100 && !hub.repo.peers.some((p) => !p.startsWith('till')); i++)
    await new Promise((r) => setTimeout(r, 20))

  const all = [...cloudLog.lines, ...hubLog.lines]
  expect(all.some((l) => l.includes('upstream link up'))).toBe(true)
  expect(all.some((l) => l.includes('upgrade refused: bad token'))).toBe(true)
  expect(all.some((l) => l.includes('oops'))).toBe(true)
  for (const secret of [good, foreign, expired, hubToken]) {
    // The signature is the part that must never leak; the whole token neither.
    const signature = secret.split('.')[2]!
    const leaks = all.filter((l) => l.includes(secret) || l.includes(signature))
    expect(leaks, `log lines containing a token:\n${leaks.join('')}`).toEqual([])
  }
}, 30_000)
