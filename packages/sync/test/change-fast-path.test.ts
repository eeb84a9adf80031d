// The change fast path through a real relay process: a command's changes travel device -> relay ->
// device in `tabsync-change` frames ahead of the sync exchange, checked by the relay like sync
// frames (role rights, store scoping) and applied there before they are forwarded. Every frame a
// device sends and receives is recorded from its own socket, so order is proven by inspection,
// never by timing.
import * as A from '@automerge/automerge'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { cbor } from '@automerge/automerge-repo'
import { addLine, readOrder, type OrderDoc } from '@tabsync/core'
import {
  CloseCode,
  FrameType,
  changeFrameSchema,
  clientFrameSchema,
  joinFrameSchema,
  peerFrameSchema,
  serverFrameSchema,
  tokenSubprotocols,
} from '@tabsync/protocol'
import { issueToken } from '@tabsync/relay'
import WebSocket from 'ws'
import { afterEach, expect, test } from 'vitest'
import {
  eventually,
  recordedDevice,
  storeWithOrder as storeWithOrderIn,
  type Cleanups,
  type Recorded,
} from './recorded-devices.js'
import { RELAY_SECRET, type RelayProcess } from './relay-process.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
const storeWithOrder = () => storeWithOrderIn(cleanups)

const documentIdOf = (url: AutomergeUrl) => url.slice('automerge:'.length)
const hashes = (changes: readonly Uint8Array[]) => changes.map((c) => A.decodeChange(c).hash)

/** Index of the first frame at or after `from` that matches. */
function indexOf(frames: readonly Recorded[], from: number, ok: (r: Recorded) => boolean): number {
  for (let i = from; i < frames.length; i++) if (ok(frames[i]!)) return i
  return -1
}

/** True when a sync frame brings document content (not just heads). */
function syncCarriesChanges(frame: Record<string, unknown>): boolean {
  if (frame['type'] !== FrameType.sync) return false
  const m = A.decodeSyncMessage(frame['data'] as Uint8Array)
  return m.heads.length > 0 && m.changes.length > 0
}

test('a line added on A reaches B through the relay in a change frame before any sync frame carries it', async () => {
  const { a, b, url, onB } = await storeWithOrder()
  const doc = documentIdOf(url)
  const markA = a.frames.length
  const markB = b.frames.length
  const onA = await a.device.repo.find<OrderDoc>(url)
  const before = onA.doc()
  // The hash of A's new change is known only after the command: B's arrival is watched for any
  // change from here, then checked against that hash.
  const changed = new Promise<number>((resolve) => {
    const onChange = () => {
      if (Object.keys(readOrder(onB.doc()).lines).length === 0) return
      onB.off('change', onChange)
      resolve(b.frames.length)
    }
    onB.on('change', onChange)
  })
  await a.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' }))
  const [change] = localChanges(before, onA.doc())
  const hash = A.decodeChange(change!).hash
  const arrivedAt = await changed
  expect(A.hasHeads(onB.doc() as A.Doc<unknown>, [hash])).toBe(true)

  // A sent the change in a change frame, and before its first sync frame with content.
  const aFast = indexOf(
    a.frames,
    markA,
    (r) =>
      r.dir === 'out' &&
      r.frame['type'] === FrameType.change &&
      hashes(r.frame['changes'] as Uint8Array[]).includes(hash),
  )
  const aSync = indexOf(
    a.frames,
    markA,
    (r) => r.dir === 'out' && r.frame['documentId'] === doc && syncCarriesChanges(r.frame),
  )
  expect(aFast).toBeGreaterThanOrEqual(0)
  if (aSync >= 0) expect(aFast).toBeLessThan(aSync)
  // B had received the relay's change frame carrying it, and no sync frame with content for this
  // document, when the change appeared on B.
  const received = b.frames.slice(markB, arrivedAt).filter((r) => r.dir === 'in')
  const fast = received.filter((r) => r.frame['type'] === FrameType.change)
  expect(fast).toHaveLength(1)
  expect(changeFrameSchema.strict().parse(fast[0]!.frame).documentId).toBe(doc)
  expect(hashes(fast[0]!.frame['changes'] as Uint8Array[])).toContain(hash)
  expect(
    received.filter((r) => r.frame['documentId'] === doc && syncCarriesChanges(r.frame)),
  ).toEqual([])
  // Sync still runs underneath: A and B end with the same heads.
  await eventually(
    () => (A.getHeads(onA.doc()).join() === A.getHeads(onB.doc()).join() ? true : undefined),
    'same heads',
  )
}, 60_000)

test('a printer adding a line on the fast path is refused with 4006 and the line never reaches B', async () => {
  const { relay, a, b, url, storeId, storeUrl, onB } = await storeWithOrder()
  const p = await recordedDevice(cleanups, relay, 'printer-1', storeId, 'printer', { storeUrl })
  await p.device.ready()
  const onP = await p.device.repo.find<OrderDoc>(url)
  await onP.whenReady()
  const markB = b.frames.length
  await p.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' }))
  const sent = p.frames.find((r) => r.dir === 'out' && r.frame['type'] === FrameType.change)
  expect(sent).toBeDefined()
  const forbidden = hashes(sent!.frame['changes'] as Uint8Array[])
  await eventually(
    () => (p.link.endpoints()[0]?.state === 'refused' ? true : undefined),
    'printer refused',
  )
  await eventually(
    () =>
      relay
        .stderr()
        .split('\n')
        .find((l) => l.includes(`"code":${CloseCode.forbiddenChange}`) && l.includes('printer-1')),
    'the relay logs the 4006 refusal',
  )
  // A causal barrier, not a timer: a later allowed change from A reaches B, and the relay handled
  // the printer's frames (in its socket's order) before it closed that socket.
  await a.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' }))
  await eventually(
    () => (Object.keys(readOrder(onB.doc()).lines).length === 1 ? true : undefined),
    "A's line on B",
  )
  expect(A.hasHeads(onB.doc() as A.Doc<unknown>, forbidden)).toBe(false)
  const carried = b.frames
    .slice(markB)
    .filter((r) => r.frame['type'] === FrameType.change)
    .flatMap((r) => hashes(r.frame['changes'] as Uint8Array[]))
  expect(carried.filter((h) => forbidden.includes(h))).toEqual([])
}, 60_000)

/** The relay's `tabsync_relay_change_frames_total` by outcome, from its /metrics. */
async function changeFrameCounts(
  relay: RelayProcess,
): Promise<{ applied: number; 'missing-deps': number; corrupt: number }> {
  const text = await (await fetch(`${relay.url}/metrics`)).text()
  const counts = { applied: 0, 'missing-deps': 0, corrupt: 0 } as Record<string, number> & {
    applied: number
    'missing-deps': number
    corrupt: number
  }
  for (const m of text.matchAll(
    /^tabsync_relay_change_frames_total\{outcome="([\w-]+)"\} (\d+)$/gm,
  ))
    counts[m[1]!] = Number(m[2])
  return counts
}

/** A bare WebSocket client of the relay, speaking the wire protocol by hand (a device). */
async function rawClient(relay: RelayProcess, deviceId: string, storeId: string) {
  const token = await issueToken({
    secret: RELAY_SECRET,
    deviceId,
    storeIds: [storeId],
    role: 'terminal',
  })
  const socket = new WebSocket(relay.syncUrl, tokenSubprotocols(token))
  cleanups.push(async () => socket.close())
  const received: Record<string, unknown>[] = []
  socket.on('message', (data: Buffer) =>
    received.push(cbor.decode(new Uint8Array(data)) as Record<string, unknown>),
  )
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  const peerId = `${deviceId}/raw`
  const join = {
    type: FrameType.join,
    senderId: peerId,
    supportedProtocolVersions: ['1'],
    changeFrames: true,
  }
  expect(joinFrameSchema.strict().safeParse(join).error).toBeUndefined()
  socket.send(cbor.encode(join))
  const peer = await eventually(() => received.find((f) => f['type'] === FrameType.peer), 'peer')
  // The relay offers the fast path in its answer, in exactly the protocol's shape.
  expect(peerFrameSchema.strict().parse(peer).changeFrames).toBe(true)
  const sendChanges = (documentId: string, changes: Uint8Array[]) => {
    const frame = {
      type: FrameType.change,
      senderId: peerId,
      targetId: peer['senderId'],
      documentId,
      changes,
    }
    expect(clientFrameSchema.safeParse(frame).error).toBeUndefined()
    socket.send(cbor.encode(frame))
  }
  return { socket, sendChanges }
}

test('a change frame with missing dependencies or an undecodable change is ignored, the socket keeps serving, and sync converges', async () => {
  const { relay, a, b, url, storeId, onB } = await storeWithOrder()
  const doc = documentIdOf(url)
  const raw = await rawClient(relay, 'till-raw', storeId)
  const onA = await a.device.repo.find<OrderDoc>(url)
  // Two changes made elsewhere (another replica of the order), the second on top of the first.
  const ctx = a.device.context()
  const base = A.clone(onA.doc(), { actor: 'abcdef01' })
  const one = A.change(base, (d) => void addLine(d, ctx, { itemId: 'beer' }))
  const two = A.change(one, (d) => void addLine(d, ctx, { itemId: 'beer' }))
  const [first] = A.getChanges(base, one)
  const [second] = A.getChanges(one, two)
  const markB = b.frames.length
  const before = await changeFrameCounts(relay)

  raw.sendChanges(doc, [second!]) // its dependency `first` is unknown to the relay
  raw.sendChanges(doc, [new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3])]) // not a change
  raw.sendChanges(doc, [first!]) // fits: applied and forwarded
  const [firstHash, secondHash] = hashes([first!, second!])
  await eventually(
    () => (A.hasHeads(onB.doc() as A.Doc<unknown>, [firstHash!]) ? true : undefined),
    'the first change on B',
  )
  const fast = b.frames
    .slice(markB)
    .filter((r) => r.dir === 'in' && r.frame['type'] === FrameType.change)
    .map((r) => hashes(r.frame['changes'] as Uint8Array[]))
  expect(fast).toEqual([[firstHash]])
  expect(raw.socket.readyState).toBe(WebSocket.OPEN)
  const log = await eventually(
    () =>
      relay
        .stderr()
        .split('\n')
        .find((l) => l.includes('undecodable change')),
    'the relay logs the undecodable change',
  )
  expect(log).toContain('"kind":"corrupt"')
  expect(relay.stderr()).toContain('missing dependencies')
  expect(relay.stderr()).not.toContain('closing connection')
  const after = await changeFrameCounts(relay)
  expect({
    missing: after['missing-deps'] - before['missing-deps'],
    corrupt: after.corrupt - before.corrupt,
    applied: after.applied - before.applied,
  }).toEqual({ missing: 1, corrupt: 1, applied: 1 })

  // Normal sync delivers the rest: A takes the second change (as a replica would through sync)
  // and B converges on it.
  onA.update((d) => A.applyChanges(d, [second!])[0])
  await eventually(
    () => (A.hasHeads(onB.doc() as A.Doc<unknown>, [secondHash!]) ? true : undefined),
    'the second change on B through sync',
  )
  expect(Object.keys(readOrder(onB.doc()).lines)).toHaveLength(2)
}, 60_000)

test("a change is never forwarded to another store's device, nor to a device that did not offer change frames, which still converges by sync", async () => {
  const { relay, a, url, onB, storeUrl, storeId } = await storeWithOrder()
  const doc = documentIdOf(url)
  const other = await recordedDevice(cleanups, relay, 'till-other', 'store-other', 'terminal')
  await eventually(() => other.device.repo.peers.length > 0 || undefined, 'other store online')
  // The other store's device asks for the order: refused ("unavailable"), never served.
  const asked = await other.device.repo.find<OrderDoc>(url, {
    allowableStates: ['ready', 'unavailable'],
  })
  expect(asked.isReady()).toBe(false)
  const old = await recordedDevice(cleanups, relay, 'till-old', storeId, 'terminal', {
    storeUrl,
    changeFrames: false,
  })
  await old.device.ready()
  const onOld = await old.device.repo.find<OrderDoc>(url)
  await onOld.whenReady()
  // An old device's join has no changeFrames key and still parses.
  const oldJoin = old.frames.find((r) => r.dir === 'out' && r.frame['type'] === FrameType.join)
  expect(joinFrameSchema.strict().parse(oldJoin!.frame).changeFrames).toBeUndefined()

  await a.device.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'beer' }))
  await eventually(
    () => (Object.keys(readOrder(onB.doc()).lines).length === 1 ? true : undefined),
    'line on B',
  )
  await eventually(
    () => (Object.keys(readOrder(onOld.doc()).lines).length === 1 ? true : undefined),
    'line on the old device (sync)',
  )
  expect(A.getHeads(onOld.doc())).toEqual(A.getHeads(onB.doc()))
  const changeFrames = (frames: readonly Recorded[]) =>
    frames.filter((r) => r.frame['type'] === FrameType.change)
  expect(changeFrames(old.frames)).toEqual([])
  expect(changeFrames(other.frames)).toEqual([])
  expect(
    other.frames.filter(
      (r) =>
        r.dir === 'in' && r.frame['documentId'] === doc && r.frame['type'] !== 'doc-unavailable',
    ),
  ).toEqual([])
  // Everything the relay sent these devices is a protocol frame.
  for (const r of [...old.frames, ...other.frames].filter((f) => f.dir === 'in'))
    expect(serverFrameSchema.safeParse(r.frame).error).toBeUndefined()
}, 60_000)

/** The changes `after` has that `before` lacks (one device's command). */
function localChanges(before: A.Doc<unknown>, after: A.Doc<unknown>): Uint8Array[] {
  return A.getChanges(before, after)
}
