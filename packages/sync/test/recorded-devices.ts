// Devices whose socket records every frame it sends and receives, against a real relay process:
// the change fast path tests and the wire contract read the frames themselves.
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { cbor } from '@automerge/automerge-repo'
import type { DeviceRole, OrderDoc } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { issueToken } from '@tabsync/relay'
import WebSocket from 'ws'
import { openDevice, WebSocketLink, type Device } from '../src/index.js'
import type { LinkSocket } from '../src/network/socket.js'
import { RELAY_SECRET, spawnRelay, tempDir, type RelayProcess } from './relay-process.js'

/** Setup and delivery bound on a loaded 2-core machine; not a speed claim. */
export const DELIVERY_MS = 20_000

/** Teardown steps a test file runs (in reverse) after each test. */
export type Cleanups = (() => Promise<unknown>)[]

/** One frame a device's socket sent or received. */
export interface Recorded {
  readonly dir: 'in' | 'out'
  readonly frame: Record<string, unknown>
}

/** A device whose one link records every frame it sends and receives, in order. */
export async function recordedDevice(
  cleanups: Cleanups,
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
        socket: socket as unknown as LinkSocket,
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

/** Polls `check` every 20 ms until it gives a value. */
export async function eventually<T>(check: () => T | undefined, what: string): Promise<T> {
  const end = Date.now() + DELIVERY_MS
  for (;;) {
    const v = check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`not within ${DELIVERY_MS} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The device has the relay as a peer and nothing unsynced. */
export async function whenSynced(device: Device): Promise<void> {
  await eventually(() => device.repo.peers.length > 0 || undefined, 'relay peer')
  await eventually(() => device.status().unsynced === 0 || undefined, 'nothing unsynced')
}

/** A relay process, a store created by a back office A and a terminal B with one order open. */
export async function storeWithOrder(cleanups: Cleanups, storeId = 'store-fp') {
  const d = await tempDir()
  cleanups.push(d.remove)
  const relay = await spawnRelay(d.path, { logLevel: 'debug' })
  cleanups.push(relay.stop)
  const a = await recordedDevice(cleanups, relay, 'till-a', storeId, 'backoffice')
  await eventually(() => a.device.repo.peers.length > 0 || undefined, 'A online')
  const { storeUrl } = await a.device.createStore({
    ...demoStoreInit(storeId, () => ''),
    tables: [...DEMO_TABLES],
  })
  await whenSynced(a.device)
  const b = await recordedDevice(cleanups, relay, 'till-b', storeId, 'terminal', { storeUrl })
  await b.device.ready()
  const { url } = await a.device.openOrder(DEMO_TABLES[0]!.id, { guests: 2 })
  await whenSynced(a.device)
  const onB = await b.device.repo.find<OrderDoc>(url)
  await onB.whenReady()
  return { relay, a, b, url, storeId, storeUrl, onB }
}
