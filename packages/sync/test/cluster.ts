// Builders for multi-peer scenarios on the simulated network, under vitest's fake timers.
import { Repo, type AutomergeUrl, type PeerId } from '@automerge/automerge-repo/slim'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { vi } from 'vitest'
import { openDevice, type Device } from '../src/index.js'
import {
  createCrashableStorage,
  createSimNetwork,
  type CrashableStorage,
  type SimFaults,
  type SimNetwork,
} from '../src/testing/index.js'

/** 2026-11-20 18:00 UTC: a Friday dinner service (19:00 in Paris). */
export const SERVICE_START = Date.UTC(2026, 10, 20, 18, 0)

/** Fakes timers and Date so simulated minutes take milliseconds. Call `useRealTimers` after. */
export function useSimTime(now = SERVICE_START): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    now,
  })
}

/** Advances simulated time by `ms`, running timers and the promises they resolve. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
}

/** Awaits a promise while advancing simulated time in small steps (fails after `maxMs`). */
export async function drive<T>(promise: Promise<T>, maxMs = 300_000, stepMs = 5): Promise<T> {
  let settled = false
  const done = promise.finally(() => {
    settled = true
  })
  done.catch(() => undefined)
  let elapsed = 0
  while (!settled) {
    if (elapsed > maxMs) throw new Error(`not settled after ${maxMs} simulated ms`)
    await vi.advanceTimersByTimeAsync(stepMs)
    elapsed += stepMs
  }
  return done
}

/** A hub or relay: a plain automerge-repo Repo with storage on the simulated network. */
export interface Server {
  readonly name: 'hub' | 'relay'
  repo: Repo
  readonly storage: CrashableStorage
}

/** A device slot of a cluster: the device and its (crashable) storage. */
export interface Slot {
  readonly deviceId: string
  device: Device
  readonly storage: CrashableStorage
  readonly wallClock: () => number
  /** Links of this device in the topology. */
  readonly links: readonly ('hub' | 'relay')[]
}

export interface ClusterOptions {
  readonly seed: number
  readonly devices: number
  readonly faults?: SimFaults
  /** Which servers each device links to (default: hub only). */
  readonly deviceLinks?: (index: number) => readonly ('hub' | 'relay')[]
  readonly wallClock?: (index: number) => () => number
}

/** N devices, a hub and a relay on a seeded simulated network; device 0 created the store. */
export interface Cluster {
  readonly net: SimNetwork
  readonly hub: Server
  readonly relay: Server
  readonly slots: Slot[]
  readonly storeUrl: AutomergeUrl
  /** Power loss on a device: unflushed writes lost, the process gone. Then it starts again. */
  crashRestart(index: number): Promise<void>
  /** The relay loses power and restarts from what it had written. */
  restartRelay(): Promise<void>
  /** Closes everything (no flush: storage may be crashed). */
  close(): Promise<void>
}

const SERVER_STORAGE = { minWriteMs: 1, maxWriteMs: 5 }

function startServer(net: SimNetwork, name: 'hub' | 'relay', storage: CrashableStorage): Repo {
  return new Repo({
    storage: storage.adapter(),
    network: [net.adapter(name, { kind: name })],
    peerId: name as PeerId,
    sharePolicy: async () => true,
  })
}

/** Builds a cluster and waits until every device has the store. */
export async function createCluster(options: ClusterOptions): Promise<Cluster> {
  const net = createSimNetwork({
    seed: options.seed,
    ...(options.faults ? { faults: options.faults } : {}),
  })
  const storageRandom = () => net.random()
  const hubStorage = createCrashableStorage({ random: storageRandom, ...SERVER_STORAGE })
  const relayStorage = createCrashableStorage({ random: storageRandom, ...SERVER_STORAGE })
  const hub: Server = {
    name: 'hub',
    repo: startServer(net, 'hub', hubStorage),
    storage: hubStorage,
  }
  const relay: Server = {
    name: 'relay',
    repo: startServer(net, 'relay', relayStorage),
    storage: relayStorage,
  }
  net.link('hub', 'relay')

  const slots: Slot[] = []
  const open = (slot: Omit<Slot, 'device'>, storeUrl?: AutomergeUrl) =>
    openDevice({
      deviceId: slot.deviceId,
      peerSuffix: 'p',
      storage: slot.storage.adapter(),
      network: [net.adapter(slot.deviceId)],
      wallClock: slot.wallClock,
      random: () => net.random(),
      ...(storeUrl ? { storeUrl } : {}),
    })

  let storeUrl: AutomergeUrl | undefined
  for (let i = 0; i < options.devices; i++) {
    const deviceId = `till-${i + 1}`
    const storage = createCrashableStorage({ random: storageRandom })
    const links = options.deviceLinks?.(i) ?? ['hub']
    const wallClock = options.wallClock?.(i) ?? (() => Date.now())
    const partial = { deviceId, storage, wallClock, links }
    const slot: Slot = { ...partial, device: await drive(open(partial, storeUrl)) }
    slots.push(slot)
    for (const l of links) net.link(deviceId, l)
    if (!storeUrl) {
      storeUrl = (
        await drive(
          slot.device.createStore({ ...demoStoreInit('store-1', () => ''), tables: DEMO_TABLES }),
        )
      ).storeUrl
    }
  }
  if (!storeUrl) throw new Error('a cluster needs at least one device')
  const url = storeUrl
  await drive(Promise.all(slots.map((s) => s.device.ready())))

  return {
    net,
    hub,
    relay,
    slots,
    storeUrl: url,
    async crashRestart(index) {
      const slot = slots[index]!
      slot.storage.crash()
      net.kill(slot.deviceId)
      await slot.device.close({ flush: false })
      slot.device = await drive(open(slot, url))
    },
    async restartRelay() {
      relay.storage.crash()
      net.kill('relay')
      relay.repo = startServer(net, 'relay', relay.storage)
      await advance(10)
    },
    async close() {
      for (const s of slots) await s.device.close({ flush: false })
      for (const name of ['hub', 'relay', ...slots.map((s) => s.deviceId)]) net.kill(name)
    },
  }
}
