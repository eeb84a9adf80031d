// A real relay process, spawned through the CLI, against raw sockets and stock automerge-repo
// devices: authentication, peer binding, cross-store access, malformed input, HTTP endpoints.
import * as A from '@automerge/automerge'
import type { AutomergeUrl, DocHandle, DocumentId } from '@automerge/automerge-repo'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CloseCode } from '@tabsync/protocol'
import { issueToken } from '../src/auth/token.js'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDevice,
  type TestDoc,
} from './helpers/devices.js'
import { closeCode, connectRaw, join, sendFrame } from './helpers/raw-client.js'
import { spawnRelay, tempDir, TEST_SECRET, type RelayProcess } from './helpers/relay-process.js'

let relay: RelayProcess
let data: Awaited<ReturnType<typeof tempDir>>
const devices: TestDevice[] = []

async function device(id: string, store: string): Promise<TestDevice> {
  const d = await openDevice(relay.syncUrl, id, store)
  devices.push(d)
  return d
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))
  return line ? Number(line.split(' ').pop()) : 0
}

async function metricsText(): Promise<string> {
  return (await fetch(`${relay.url}/metrics`)).text()
}

function addLine(handle: DocHandle<TestDoc>, id: string, by: string): void {
  handle.change((d) => {
    d.lines[id] = { item: `item-${id}`, by }
  })
}

beforeAll(async () => {
  data = await tempDir()
  relay = await spawnRelay(['--port', '0', '--data', data.path, '--max-frame-bytes', '65536'])
})

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()))
  await relay?.stop()
  await data?.remove()
})

describe('relay process', () => {
  test('the CLI prints a parseable listening line first', () => {
    expect(relay.info).toMatchObject({ event: 'listening', mode: 'relay', secretSource: 'env' })
    expect(relay.port).toBeGreaterThan(0)
    expect(relay.syncUrl).toBe(`ws://127.0.0.1:${relay.port}/sync`)
  })

  test('every kind of bad token gets HTTP 401 and no socket', async () => {
    const key = new TextEncoder().encode(TEST_SECRET)
    const now = Math.floor(Date.now() / 1000)
    const expired = await issueToken({
      secret: TEST_SECRET,
      deviceId: 'till-1',
      storeIds: ['store-a'],
      role: 'terminal',
      ttl: 60,
      now: Date.now() - 3_600_000,
    })
    const forged = await issueToken({
      secret: 'another-secret-of-enough-length',
      deviceId: 'till-1',
      storeIds: ['store-a'],
      role: 'terminal',
    })
    const storesNotAList = await new SignJWT({ stores: 'store-a', role: 'terminal' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('till-1')
      .setExpirationTime(now + 600)
      .sign(key)
    const noStores = await new SignJWT({ role: 'terminal' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('till-1')
      .setExpirationTime(now + 600)
      .sign(key)
    const slashDevice = await new SignJWT({ stores: ['store-a'], role: 'terminal' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('till-1/evil')
      .setExpirationTime(now + 600)
      .sign(key)
    const cases: [string, string | undefined][] = [
      ['missing', undefined],
      ['empty', ''],
      ['malformed', 'not.a.jwt'],
      ['garbage', 'abc'],
      ['wrong signature', forged],
      ['expired', expired],
      ['stores not a list', storesNotAList],
      ['no stores claim', noStores],
      ['slash in device id', slashDevice],
    ]
    for (const [name, token] of cases) {
      const outcome = await connectRaw(relay.syncUrl, token)
      expect({
        name,
        outcome: outcome.kind,
        status: outcome.kind === 'http' ? outcome.status : 0,
      }).toEqual({
        name,
        outcome: 'http',
        status: 401,
      })
    }
    const text = await metricsText()
    expect(text).toMatch(/tabsync_relay_denials_total\{reason="token-expired"\} 1/)
    expect(text).toMatch(/tabsync_relay_denials_total\{reason="token-bad-signature"\} 1/)
    expect(text).toMatch(/tabsync_relay_denials_total\{reason="token-bad-claims"\} [1-9]/)
    // A browser cannot read the upgrade's status, so it asks GET /sync: 401 for a bad token,
    // 426 for a good one, with CORS either way. The token goes in a header, not the URL.
    const probe = (token: string) =>
      fetch(`${relay.url}/sync`, { headers: { authorization: `Bearer ${token}` } })
    const rejected = await probe(expired)
    expect(rejected.status).toBe(401)
    expect(rejected.headers.get('access-control-allow-origin')).toBe('*')
    expect(await rejected.json()).toEqual({ error: 'expired' })
    expect((await probe('not.a.jwt')).status).toBe(401)
    expect((await probe(await tokenFor('till-probe', 'store-a'))).status).toBe(426)
    // And a good token opens a socket.
    const ok = await connectRaw(relay.syncUrl, await tokenFor('till-ok', 'store-a'))
    expect(ok.kind).toBe('open')
    if (ok.kind === 'open') ok.socket.close()
  })

  test('a join claiming another device, and a frame from another sender, close with 4003', async () => {
    const token = await tokenFor('till-2', 'store-a')
    const first = await connectRaw(relay.syncUrl, token)
    if (first.kind !== 'open') throw new Error('expected a socket')
    const code1 = closeCode(first.socket)
    sendFrame(first.socket, {
      type: 'join',
      senderId: 'till-1',
      peerMetadata: {},
      supportedProtocolVersions: ['1'],
    })
    expect(await code1).toBe(CloseCode.forgedSender)

    const second = await connectRaw(relay.syncUrl, token)
    if (second.kind !== 'open') throw new Error('expected a socket')
    const code2 = closeCode(second.socket)
    const relayPeer = await join(second.socket, 'till-2/tab-1')
    const docId = (await import('@automerge/automerge-repo')).parseAutomergeUrl(
      (await import('@automerge/automerge-repo')).generateAutomergeUrl(),
    ).documentId
    sendFrame(second.socket, {
      type: 'request',
      senderId: 'till-1',
      targetId: relayPeer,
      documentId: docId,
      data: A.generateSyncMessage(A.init(), A.initSyncState())[1],
    })
    expect(await code2).toBe(CloseCode.forgedSender)
    expect(await metricsText()).toMatch(/tabsync_relay_denials_total\{reason="forged-sender"\} 2/)
  })

  test('garbage, truncated and oversized frames close only that socket; another client keeps syncing', async () => {
    const writer = await device('till-w', 'store-a')
    const reader = await device('till-r', 'store-a')
    const handle = writer.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
    addLine(handle, 'l1', 'till-w')
    const seen = await findEventually(reader.repo, handle.url)
    await until(() => lineCount(seen) === 1, 'reader sees the first line')

    const token = await tokenFor('till-bad', 'store-a')
    const open = async () => {
      const o = await connectRaw(relay.syncUrl, token)
      if (o.kind !== 'open') throw new Error('expected a socket')
      return o.socket
    }
    // Not CBOR at all.
    const garbage = await open()
    const garbageCode = closeCode(garbage)
    garbage.send(Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x42]))
    expect(await garbageCode).toBe(CloseCode.malformedFrame)

    // A valid join cut in half.
    const truncated = await open()
    const truncatedCode = closeCode(truncated)
    const { cbor } = await import('@automerge/automerge-repo')
    const bytes = cbor.encode({
      type: 'join',
      senderId: 'till-bad',
      peerMetadata: {},
      supportedProtocolVersions: ['1'],
    })
    truncated.send(bytes.subarray(0, Math.floor(bytes.byteLength / 2)))
    expect(await truncatedCode).toBe(CloseCode.malformedFrame)

    // Valid CBOR, wrong shape, after a good join.
    const shape = await open()
    const shapeCode = closeCode(shape)
    const relayPeer = await join(shape, 'till-bad')
    sendFrame(shape, {
      type: 'sync',
      senderId: 'till-bad',
      targetId: relayPeer,
      documentId: 42,
      data: 'x',
    })
    expect(await shapeCode).toBe(CloseCode.malformedFrame)

    // Valid shape, sync data that is not an Automerge sync message.
    const badSync = await open()
    const badSyncCode = closeCode(badSync)
    await join(badSync, 'till-bad')
    sendFrame(badSync, {
      type: 'sync',
      senderId: 'till-bad',
      targetId: relayPeer,
      documentId: handle.documentId,
      data: new Uint8Array([1, 2, 3, 4]),
    })
    expect(await badSyncCode).toBe(CloseCode.malformedFrame)

    // Bigger than --max-frame-bytes 65536.
    const big = await open()
    const bigCode = closeCode(big)
    big.send(Buffer.alloc(70_000, 7))
    expect(await bigCode).toBe(CloseCode.frameTooLarge)

    // A flood beyond the burst.
    const flood = await open()
    const floodCode = closeCode(flood)
    await join(flood, 'till-bad')
    const unavailable = {
      type: 'doc-unavailable',
      senderId: 'till-bad',
      targetId: relayPeer,
      documentId: handle.documentId,
    }
    for (let i = 0; i < 3000 && flood.readyState === flood.OPEN; i++) sendFrame(flood, unavailable)
    expect(await floodCode).toBe(CloseCode.rateLimited)

    // Everyone else was served all along, and nothing was lost.
    addLine(handle, 'l2', 'till-w')
    await until(() => lineCount(seen) === 2, 'reader sees the line written after the attacks')
    const text = await metricsText()
    expect(text).toMatch(/tabsync_relay_denials_total\{reason="malformed-frame"\} 4/)
    expect(text).toMatch(/tabsync_relay_denials_total\{reason="frame-too-large"\} 1/)
    expect(text).toMatch(/tabsync_relay_denials_total\{reason="rate-limited"\} 1/)
    const health = (await (await fetch(`${relay.url}/healthz`)).json()) as { status: string }
    expect(health.status).toBe('ok')
  })

  test("a device of store B gets nothing of store A's document, and cannot write into it", async () => {
    const a1 = await device('a-till-1', 'store-a')
    const a2 = await device('a-till-2', 'store-a')
    const b1 = await device('b-till-1', 'store-b')
    const handle = a1.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
    addLine(handle, 'secret-line', 'a-till-1')
    const onA2 = await findEventually(a2.repo, handle.url, 'store A document on a second A device')
    await until(() => lineCount(onA2) === 1, 'A2 sees the line')

    // Reading by URL: unavailable, never data.
    await expect(b1.repo.find<TestDoc>(handle.url)).rejects.toThrow(/unavailable/)
    expect(
      await metric('tabsync_relay_denials_total{reason="document-other-store"}'),
    ).toBeGreaterThan(0)

    // Writing: B forges a document with A's id from a copy of its history and changes it.
    const before = await metric('tabsync_relay_denials_total{reason="document-other-store"}')
    const stolen = A.change(A.clone(handle.doc()), (d) => {
      d.lines['from-b'] = { item: 'injected', by: 'b-till-1' }
    })
    const b2 = await device('b-till-2', 'store-b')
    const injected = b2.repo.import<TestDoc>(A.save(stolen), {
      docId: handle.documentId as DocumentId,
    })
    injected.change((d) => {
      d.lines['from-b-2'] = { item: 'injected', by: 'b-till-1' }
    })
    await until(
      async () =>
        (await metric('tabsync_relay_denials_total{reason="document-other-store"}')) > before,
      'the relay refusing B frames',
    )
    // A fresh store-A device reads the relay's copy: none of B's lines.
    const a3 = await device('a-till-3', 'store-a')
    addLine(handle, 'after', 'a-till-1')
    const onA3 = await findEventually(a3.repo, handle.url, 'store A document on a fresh A device')
    await until(
      () => lineCount(onA3) === 2 && lineCount(onA2) === 2,
      'A devices see the later A line',
    )
    expect(Object.keys(onA3.doc().lines).sort()).toEqual(['after', 'secret-line'])
    expect(Object.keys(onA2.doc().lines).sort()).toEqual(['after', 'secret-line'])
    expect(Object.keys(handle.doc().lines).sort()).toEqual(['after', 'secret-line'])
  })

  test('a document whose storeId is not a store of its introducer is quarantined', async () => {
    const a1 = await device('a-till-q', 'store-a')
    const b1 = await device('b-till-q', 'store-b')
    const handle = a1.repo.create<TestDoc>({ kind: 'order', storeId: 'store-b', lines: {} })
    addLine(handle, 'x', 'a-till-q')
    await until(
      async () => (await metric('tabsync_relay_denials_total{reason="document-quarantined"}')) > 0,
      'quarantine',
    )
    await expect(b1.repo.find<TestDoc>(handle.url)).rejects.toThrow(/unavailable/)
  })

  test('/healthz, /readyz, /time (with the features it serves) and /metrics answer with their content', async () => {
    const health = await fetch(`${relay.url}/healthz`)
    expect(health.status).toBe(200)
    expect(health.headers.get('access-control-allow-origin')).toBe('*')
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'relay', ready: true })

    const ready = await fetch(`${relay.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ ready: true })

    const before = Date.now()
    const time = await fetch(`${relay.url}/time`)
    expect(time.headers.get('access-control-allow-origin')).toBe('*')
    const { now, features } = (await time.json()) as { now: number; features: string[] }
    expect(features).toEqual(['table-days'])
    expect(now).toBeGreaterThanOrEqual(before - 1)
    expect(now).toBeLessThanOrEqual(Date.now() + 1)

    const preflight = await fetch(`${relay.url}/time`, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET')

    const metrics = await fetch(`${relay.url}/metrics`)
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    const text = await metrics.text()
    for (const name of [
      '# TYPE tabsync_relay_connections gauge',
      '# TYPE tabsync_relay_authenticated_devices gauge',
      '# TYPE tabsync_relay_documents_loaded gauge',
      '# TYPE tabsync_relay_messages_total counter',
      '# TYPE tabsync_relay_bytes_total counter',
      '# TYPE tabsync_relay_denials_total counter',
      '# TYPE tabsync_relay_storage_write_seconds histogram',
    ]) {
      expect(text).toContain(name)
    }
    expect(text).toMatch(/tabsync_relay_authenticated_devices\{store="store-a"\} [1-9]/)
    expect(text).toMatch(/tabsync_relay_authenticated_devices\{store="store-b"\} [1-9]/)
    expect(text).toMatch(/tabsync_relay_messages_total\{direction="in"\} [1-9]/)
    expect(text).toMatch(/tabsync_relay_bytes_total\{direction="out"\} [1-9]/)
    expect(text).toMatch(/tabsync_relay_storage_write_seconds_count [1-9]/)
    expect(await metric('tabsync_relay_documents_loaded')).toBeGreaterThan(0)
    expect(await metric('tabsync_relay_connections')).toBeGreaterThan(0)

    expect((await fetch(`${relay.url}/nope`)).status).toBe(404)
  })
})

// Keep the type import used when the doc handle helpers change.
export type { AutomergeUrl }
