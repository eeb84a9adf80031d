// The link's side of the change fast path against a hand-written relay on port 0: it sends change
// frames only to a relay that offered them (a relay from before the fast path never gets one),
// and a malformed change frame from the relay is logged as a typed error and dropped while the
// link keeps serving.
import * as A from '@automerge/automerge'
import type { PeerId } from '@automerge/automerge-repo'
import { cbor } from '@automerge/automerge-repo'
import { FrameType, changeFrameSchema, joinFrameSchema, type ChangeFrame } from '@tabsync/protocol'
import { WebSocketServer, type WebSocket } from 'ws'
import { afterEach, expect, test } from 'vitest'
import { isSyncError, WebSocketLink, type Logger } from '../src/index.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A relay stand-in: answers `join` with `peer` (offering change frames or not), records frames. */
async function fakeRelay(offer: boolean) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((r) => wss.once('listening', r))
  const received: Record<string, unknown>[] = []
  let client: WebSocket | undefined
  wss.on('connection', (ws) => {
    client = ws
    ws.on('message', (data: Buffer) => {
      const frame = cbor.decode(new Uint8Array(data)) as Record<string, unknown>
      received.push(frame)
      if (frame['type'] === FrameType.join)
        ws.send(
          cbor.encode({
            type: FrameType.peer,
            senderId: 'relay-1',
            targetId: frame['senderId'],
            peerMetadata: {},
            selectedProtocolVersion: '1',
            ...(offer ? { changeFrames: true } : {}),
          }),
        )
    })
  })
  cleanups.push(() => new Promise<void>((r) => wss.close(() => r())))
  const { port } = wss.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    received,
    send: (f: object) => client?.send(cbor.encode(f)),
  }
}

function joinedLink(url: string, logger?: Logger): Promise<WebSocketLink> {
  const link = new WebSocketLink({ url, ...(logger ? { logger } : {}) })
  cleanups.push(() => link.disconnect())
  const joined = new Promise<void>((resolve) => link.once('peer-candidate', () => resolve()))
  link.connect('till-1/x' as PeerId, {})
  return joined.then(() => link)
}

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 10))
}

const aChange = (): Uint8Array => {
  const doc = A.change(A.init<{ n: number }>(), (d) => (d.n = 1))
  return A.getLastLocalChange(doc)!
}
const DOC = '4NMNnkMhL8jXrdJ9jamS2Q'

test('a link joined to a relay that does not offer change frames never sends one', async () => {
  const relay = await fakeRelay(false)
  const link = await joinedLink(relay.url)
  expect(link.sendChanges(DOC, [aChange()])).toBe(false)
  // The join offered the fast path, in exactly the protocol's shape; an old relay ignores the key.
  const join = relay.received.find((f) => f['type'] === FrameType.join)
  expect(joinFrameSchema.strict().parse(join).changeFrames).toBe(true)
  // Round trip through the socket so anything sent would have arrived.
  link.send({
    type: 'sync',
    senderId: 'till-1/x',
    targetId: 'relay-1',
    documentId: DOC,
    data: new Uint8Array([1]),
  } as never)
  await until(() => relay.received.some((f) => f['type'] === 'sync'))
  expect(relay.received.filter((f) => f['type'] === FrameType.change)).toEqual([])
})

test('a link joined to a relay that offers change frames sends them in the protocol shape', async () => {
  const relay = await fakeRelay(true)
  const link = await joinedLink(relay.url)
  const change = aChange()
  expect(link.sendChanges(DOC, [change])).toBe(true)
  await until(() => relay.received.some((f) => f['type'] === FrameType.change))
  const frame = changeFrameSchema
    .strict()
    .parse(relay.received.find((f) => f['type'] === FrameType.change))
  expect(frame).toEqual({
    type: FrameType.change,
    senderId: 'till-1/x',
    targetId: 'relay-1',
    documentId: DOC,
    changes: [change],
  })
})

test('a malformed change frame from the relay is logged as a typed error and dropped; the link keeps serving', async () => {
  const relay = await fakeRelay(true)
  const warnings: { fields: object; message: string | undefined }[] = []
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (fields, message) => warnings.push({ fields, message }),
  }
  const link = await joinedLink(relay.url, logger)
  const delivered: ChangeFrame[] = []
  link.onChangeFrame((f) => delivered.push(f))
  relay.send({
    type: FrameType.change,
    senderId: 'relay-1',
    targetId: 'till-1/x',
    documentId: DOC,
    changes: 'nope',
  })
  const good = {
    type: FrameType.change,
    senderId: 'relay-1',
    targetId: 'till-1/x',
    documentId: DOC,
    changes: [aChange()],
  }
  relay.send(good)
  await until(() => delivered.length > 0)
  expect(delivered).toHaveLength(1)
  expect(delivered[0]!.changes).toHaveLength(1)
  expect(warnings).toHaveLength(1)
  const err = (warnings[0]!.fields as { err?: unknown }).err
  expect(isSyncError(err, 'malformed')).toBe(true)
  expect(link.endpoints()[0]?.state).toBe('open')
})
