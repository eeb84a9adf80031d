// The wire contract between a device (this package), the relay and the print bridge is
// @tabsync/protocol: every side imports it, none keeps a copy. This test fails when a side sends,
// handles or matches a close code or a frame type the protocol does not define, when a copy of
// the close-code table reappears, or when the device's handling of a code disagrees with the
// protocol's list of fatal codes; and when the relay's HTTP answers (`/time`, `/documents`) or the
// device's requests carry a shape, a key, a refusal or a path the protocol does not define.
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CloseCode,
  DOCUMENTS_PATH,
  DocumentsRefusal,
  FATAL_CLOSE_CODES,
  FrameType,
  SYNC_SUBPROTOCOL,
  TIME_PATH,
  changeFrameSchema,
  clientFrameSchema,
  closeReason,
  joinFrameSchema,
  peerFrameSchema,
  documentsRefusalSchema,
  documentsRequestSchema,
  serverFrameSchema,
  timeReplySchema,
  tokenSubprotocols,
} from '@tabsync/protocol'
import { issueToken } from '@tabsync/relay'
import { selectSubprotocol, tokenFromRequest } from '@tabsync/relay/internal'
import { addLine, readOrder } from '@tabsync/core'
import { afterEach, expect, test } from 'vitest'
import { isSyncError, WebSocketLink } from '../src/index.js'
import { CloseOutcome, closeOutcome } from '../src/network/close-outcome.js'
import { RELAY_SECRET, spawnRelay, tempDir } from './relay-process.js'
import { eventually, storeWithOrder } from './recorded-devices.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const root = fileURLToPath(new URL('../../..', import.meta.url))
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aWxsLTEifQ.c2lnbmF0dXJlLXBhcnQ'

async function sourcesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
  return Promise.all(
    files.map(async (f) => ({ path: relative(root, f), text: await readFile(f, 'utf8') })),
  )
}

/** Every source file of the sides of the wire (not the protocol itself). */
const sides = async () =>
  (
    await Promise.all(
      ['packages/sync/src', 'packages/relay/src', 'packages/printer/src'].map(sourcesUnder),
    )
  ).flat()

/** The files that build, send or read frames (server.ts is left out: it matches repo events,
 *  not frames, by literal type, and names its one frame by the protocol's constant). */
const frameHandlers = async () =>
  (await sides()).filter((f) =>
    /^packages\/(sync\/src\/network|relay\/src\/(network|protocol|upstream\.ts))/.test(f.path),
  )

test('every close code the sides name is a protocol code, and none sends a bare number', async () => {
  const named = Object.keys(CloseCode)
  const problems: string[] = []
  for (const { path, text } of await sides()) {
    for (const m of text.matchAll(/\bCloseCode\.(\w+)/g))
      if (!named.includes(m[1]!)) problems.push(`${path}: CloseCode.${m[1]} is not in the protocol`)
    for (const m of text.matchAll(/\.close\(\s*(\d+)/g))
      problems.push(`${path}: closes with the bare number ${m[1]}`)
    for (const m of text.matchAll(/\bcode\s*[!=]==\s*(\d+)/g))
      problems.push(`${path}: compares a close code with the bare number ${m[1]}`)
    if (/export const CloseCode\b/.test(text)) problems.push(`${path}: a copy of CloseCode`)
  }
  expect(problems).toEqual([])
})

test('every frame type the sides send or match is a protocol frame type', async () => {
  const known: readonly string[] = Object.values(FrameType)
  const problems: string[] = []
  let seen = 0
  for (const { path, text } of await frameHandlers()) {
    for (const m of text.matchAll(/\btype\s*(?::|[!=]==)\s*'([\w-]+)'/g)) {
      seen++
      if (!known.includes(m[1]!)) problems.push(`${path}: frame type '${m[1]}'`)
    }
  }
  expect(problems).toEqual([])
  // The scan must look at real code: the relay alone sends `peer` and `doc-unavailable` and
  // matches `join`, `sync` and `request` by literal.
  expect(seen).toBeGreaterThan(5)
})

test('every protocol frame type has a schema on the side that receives it', () => {
  const schemaTypes = new Set<string>()
  for (const schema of [clientFrameSchema, serverFrameSchema])
    for (const option of schema.options) {
      const type = option.shape.type
      for (const value of 'options' in type ? type.options : [type.value]) schemaTypes.add(value)
    }
  expect([...schemaTypes].sort()).toEqual([...Object.values(FrameType)].sort())
})

test('the device stops retrying exactly on the codes the protocol calls fatal, and follows moved', () => {
  for (const code of Object.values(CloseCode)) {
    const outcome = closeOutcome(code)
    const stops = outcome === CloseOutcome.tokenRejected || outcome === CloseOutcome.refused
    expect({ code, reason: closeReason[code], stops }).toEqual({
      code,
      reason: closeReason[code],
      stops: FATAL_CLOSE_CODES.has(code),
    })
  }
  expect(closeOutcome(CloseCode.moved)).toBe(CloseOutcome.follow)
  // A dropped TCP connection (1006) is not a protocol code: retried.
  expect(closeOutcome(1006)).toBe(CloseOutcome.retry)
})

test('the relay reads the token a device offers, and answers with the wire version only', () => {
  const offered = tokenSubprotocols(JWT)
  const req = { headers: { 'sec-websocket-protocol': offered.join(', ') }, url: '/sync' }
  expect(tokenFromRequest(req, { allowQueryToken: false })).toEqual({
    token: JWT,
    via: 'subprotocol',
  })
  expect(selectSubprotocol(new Set(offered))).toBe(SYNC_SUBPROTOCOL)
})

test('every HTTP path the device requests or the relay routes is one the protocol names', async () => {
  const protocolPaths = [TIME_PATH, DOCUMENTS_PATH]
  const problems: string[] = []
  let requested = 0
  for (const { path, text } of await sides()) {
    if (!path.startsWith('packages/sync/')) continue
    // A request is `${httpOrigin(url)}<path>`; the path must be the protocol's constant.
    for (const m of text.matchAll(/httpOrigin\([^)]*\)\}([^`]*)`/g)) {
      requested++
      if (!['${TIME_PATH}', '${DOCUMENTS_PATH}'].includes(m[1]!))
        problems.push(`${path}: requests ${m[1]} by literal, not by a protocol path`)
    }
  }
  const routes = await readFile(join(root, 'packages/relay/src/http/routes.ts'), 'utf8')
  for (const m of routes.matchAll(/(?:case |path === )'(\/[\w-]*)'/g)) {
    const known = ['/healthz', '/readyz', '/metrics', '/sync', '/revocations']
    if (!known.includes(m[1]!)) problems.push(`relay routes ${m[1]}, which the protocol lacks`)
  }
  for (const p of protocolPaths)
    if (!routes.includes(p === TIME_PATH ? 'TIME_PATH' : 'DOCUMENTS_PATH'))
      problems.push(`the relay does not route the protocol's ${p}`)
  expect(problems).toEqual([])
  expect(requested).toBe(protocolPaths.length)
})

test("the relay's /time and /documents answers and the device's requests are exactly the protocol's shapes", async () => {
  const dir = await tempDir()
  cleanups.push(dir.remove)
  const server = await spawnRelay(dir.path)
  cleanups.push(server.stop)
  const exchanges: { path: string; status: number; request?: unknown; reply: unknown }[] = []
  // The device's own HTTP client, recording what went over the wire both ways.
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    const path = new URL(String(input)).pathname
    const type = res.headers.get('content-type') ?? ''
    const reply = type.includes('json') ? await res.clone().json() : 'binary'
    const request = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    exchanges.push({ path, status: res.status, request, reply })
    return res
  }
  const token = await issueToken({
    secret: RELAY_SECRET,
    deviceId: 'till-1',
    storeIds: ['store-1'],
    role: 'terminal',
  })
  const link = new WebSocketLink({ url: server.syncUrl, token, fetch: recording })
  const forged = new WebSocketLink({ url: server.syncUrl, token: `${token}x`, fetch: recording })

  const now = await link.referenceTime()
  expect(Math.abs(now - Date.now())).toBeLessThan(60_000)
  // An id the relay never saw: an empty bundle, not a refusal (nothing about other stores leaks).
  expect(await link.fetchDocuments(['4NMNnkMhL8jXrdJ9jamS2Q'])).toEqual([])
  // A floor of a store the relay never saw: nothing either.
  const floor = { store: '4NMNnkMhL8jXrdJ9jamS2Q', at: Date.now() }
  expect(await link.fetchDocuments(['4NMNnkMhL8jXrdJ9jamS2Q'], floor)).toEqual([])
  const refusal = await forged.fetchDocuments(['4NMNnkMhL8jXrdJ9jamS2Q']).catch((e: unknown) => e)
  expect(isSyncError(refusal, 'unavailable') && refusal.details['reason']).toBe(
    DocumentsRefusal.badToken,
  )

  // `.strict()`: a key one side adds that the protocol lacks fails here.
  const [time, documents, withFloor, refused] = exchanges
  expect(exchanges.map((e) => [e.path, e.status])).toEqual([
    [TIME_PATH, 200],
    [DOCUMENTS_PATH, 200],
    [DOCUMENTS_PATH, 200],
    [DOCUMENTS_PATH, 401],
  ])
  expect(withFloor!.request).toMatchObject({ floor })
  expect(timeReplySchema.strict().safeParse(time!.reply).error).toBeUndefined()
  expect(documents!.reply).toBe('binary')
  for (const e of [documents!, withFloor!, refused!])
    expect(documentsRequestSchema.strict().safeParse(e.request).error).toBeUndefined()
  expect(documentsRefusalSchema.strict().safeParse(refused!.reply).error).toBeUndefined()
})

test("the fast path's frames between devices and a relay process are exactly the protocol's: join and peer offer it, change frames go both ways", async () => {
  const { a, b, url, onB } = await storeWithOrder(cleanups, 'store-wire')
  await a.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' }))
  await eventually(
    () => (Object.keys(readOrder(onB.doc()).lines).length === 1 ? true : undefined),
    'the line on B',
  )
  const frames = [...a.frames, ...b.frames]
  const ofType = (dir: 'in' | 'out', type: string) =>
    frames.filter((r) => r.dir === dir && r.frame['type'] === type).map((r) => r.frame)
  // `.strict()`: a key one side adds that the protocol lacks fails here.
  for (const join of ofType('out', FrameType.join))
    expect(joinFrameSchema.strict().parse(join).changeFrames).toBe(true)
  for (const peer of ofType('in', FrameType.peer))
    expect(peerFrameSchema.strict().parse(peer).changeFrames).toBe(true)
  const sent = ofType('out', FrameType.change)
  const forwarded = ofType('in', FrameType.change)
  expect(sent.length).toBeGreaterThan(0)
  expect(forwarded.length).toBeGreaterThan(0)
  for (const frame of [...sent, ...forwarded])
    expect(changeFrameSchema.strict().safeParse(frame).error).toBeUndefined()
  // And every frame either side exchanged is one its receiver's schema accepts.
  for (const r of frames)
    expect(
      (r.dir === 'out' ? clientFrameSchema : serverFrameSchema).safeParse(r.frame).error,
    ).toBeUndefined()
}, 60_000)
