// The change fast path through a real relay process: a command's changes travel device -> relay ->
// device in `tabsync-change` frames ahead of the sync exchange, checked by the relay like sync
// frames (role rights, store scoping) and applied there before they are forwarded. Every frame a
// device sends and receives is recorded from its own socket, so order is proven by inspection,
// never by timing.
import * as A from '@automerge/automerge'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { addLine, readOrder, type DeviceRole, type OrderDoc } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { cbor } from '@automerge/automerge-repo'
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
import { openDevice, WebSocketLink, type Device } from '../src/index.js'
import { RELAY_SECRET, spawnRelay, tempDir, type RelayProcess } from './relay-process.js'

/** Setup and delivery bound on a loaded 2-core machine; not a speed claim. */
const DELIVERY_MS = 20_000

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface Recorded {
  readonly dir: 'in' | 'out'
  readonly frame: Record<string, unknown>
}

/** A device whose one link records every frame it sends and receives, in order. */
async function recordedDevice(
  relay: RelayProcess,
  deviceId: string,
  storeId: string,
  role: DeviceRole,
  extra: { storeUrl?: AutomergeUrl; changeFrames?: boolean } = {},
): Promise<{ device: Device; frames: Recorded[]; link: WebSocketLink }> {
  const token = await issueToken({ secret: RELAY_SECRET, deviceId, storeIds: [storeId], role })
  const frames: Recorded[] = []
  const link = new WebSocketLink({
    url: relay.syncUrl,
    token,
    ...(extra.changeFrames === undefined ? {} : { changeFrames: extra.changeFrames }),
    createSocket: (url, protocols) => {
      const socket = new WebSocket(url, [...protocols])
      socket.on('message', (data: Buffer) => {
        frames.push({ dir: 'in', frame: cbor.decode(new Uint8Array(data)) as Recorded['frame'] })
      })
      const send = socket.send.bind(socket)
      socket.send = ((data: ArrayBuffer) => {
        frames.push({ dir: 'out', frame: cbor.decode(new Uint8Array(data)) as Recorded['frame'] })
        send(data)
      }) as typeof socket.send
      return Promise.resolve({
        socket: socket as unknown as import('../src/network/socket.js').LinkSocket,
        refusedStatus: () => undefined,
      })
    },
  })
  const device = await openDevice({
    deviceId,
    storage: 'memory',
    network: [link],
    ...(extra.storeUrl ? { storeUrl: extra.storeUrl } : {}),
  })
  cleanups.push(() => device.close({ flush: false }))
  return { device, frames, link }
}

async function eventually<T>(check: () => T | undefined, what: string): Promise<T> {
  const end = Date.now() + DELIVERY_MS
  for (;;) {
    const v = check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`not within ${DELIVERY_MS} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function whenSynced(device: Device): Promise<void> {
  await eventually(() => device.repo.peers.length > 0 || undefined, 'relay peer')
  await eventually(() => device.status().unsynced === 0 || undefined, 'nothing unsynced')
}

/** A relay process, a store created by a back office A and a terminal B with one order open. */
async function storeWithOrder(storeId = 'store-fp') {
  const d = await tempDir()
  cleanups.push(d.remove)
  const relay = await spawnRelay(d.path, { logLevel: 'debug' })
  cleanups.push(relay.stop)
  const a = await recordedDevice(relay, 'till-a', storeId, 'backoffice')
  await eventually(() => a.device.repo.peers.length > 0 || undefined, 'A online')
  const { storeUrl } = await a.device.createStore({
    ...demoStoreInit(storeId, () => ''),
    tables: [...DEMO_TABLES],
  })
  await whenSynced(a.device)
  const b = await recordedDevice(relay, 'till-b', storeId, 'terminal', { storeUrl })
  await b.device.ready()
  const { url } = await a.device.openOrder(DEMO_TABLES[0]!.id, { guests: 2 })
  await whenSynced(a.device)
  const onB = await b.device.repo.find<OrderDoc>(url)
  await onB.whenReady()
  return { relay, a, b, url, storeId, storeUrl, onB }
}

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

/** Resolves with the number of frames B had received when `handle` first held `hash`. */
function arrivalMark(handle: DocHandle<OrderDoc>, frames: Recorded[], hash: string) {
  return new Promise<number>((resolve) => {
    const onChange = () => {
      if (!A.hasHeads(handle.doc() as A.Doc<unknown>, [hash])) return
      handle.off('change', onChange)
      resolve(frames.length)
    }
    handle.on('change', onChange)
  })
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
  expect(received.filter((r) => r.frame['documentId'] === doc && syncCarriesChanges(r.frame))).toEqual([])
  // Sync still runs underneath: A and B end with the same heads.
  await eventually(
    () => (A.getHeads(onA.doc()).join() === A.getHeads(onB.doc()).join() ? true : undefined),
    'same heads',
  )
}, 60_000)

/** The changes `after` has that `before` lacks (one device's command). */
function localChanges(before: A.Doc<unknown>, after: A.Doc<unknown>): Uint8Array[] {
  return A.getChanges(before, after)
}
