import {
  Repo,
  type AutomergeUrl,
  type DocHandle,
  type PeerId,
  type StorageAdapterInterface,
} from '@automerge/automerge-repo'
import {
  DEMO_TABLES,
  demoStoreInit,
  type OrderData,
  type OrderDoc,
  type StoreInit,
} from '@tabsync/core'
import { MemoryStorageAdapter, openDevice, silentLogger, type Device } from '@tabsync/sync'
import { createSimNetwork, type SimNetwork } from '@tabsync/sync/testing'
import { createPrintBridge, type PrintBridge } from '../src/bridge/print-bridge.js'
import type { CrashHook } from '../src/bridge/bridge-life.js'
import { createDeviceSource } from '../src/source/device-source.js'
import type { TicketSource } from '../src/source/ticket-source.js'

/*
 * The production setup the bridge runs in, in one process: terminals and the bridge's machine
 * are @tabsync/sync devices, syncing through an in-store hub over the simulated network, and the
 * bridge reads documents through `createDeviceSource`. A terminal goes offline with
 * `net.partition(tillId, 'hub')`; the bridge's machine restarts with `restartPrinter()`.
 */

/** The bridge's device id (the `by` of the print records). */
export const PRINTER_DEVICE = 'printer-1'

/** Options of {@link openStoreNetwork}. */
export interface StoreNetworkOptions {
  /** Seed of the simulated network. */
  readonly seed?: number
  /** Changes the demo store's configuration before it is created (e.g. a printer's charset). */
  readonly store?: (init: StoreInit) => StoreInit
  /** Storage of the bridge's device: survives its restarts. Default: in memory. */
  readonly printerStorage?: StorageAdapterInterface | { readonly directory: string }
}

/** A store on a simulated in-store network: a hub, terminals and the bridge's device. */
export interface StoreNetwork {
  readonly net: SimNetwork
  readonly hub: Repo
  readonly storeUrl: AutomergeUrl
  /** The terminal that created the store (`till-1`). */
  readonly anna: Device
  /** Opens another terminal linked to the hub, with the store loaded. */
  till(deviceId: string): Promise<Device>
  /** The bridge's device, opened on first use, linked to the hub, store loaded. */
  printer(): Promise<Device>
  /**
   * The bridge's machine loses power: its device is dropped without flushing, then opened again
   * on the same storage (as the restarted process would).
   */
  restartPrinter(): Promise<Device>
  /** Closes the bridge's device (flushed): its storage can be opened by another process. */
  closePrinter(): Promise<void>
  close(): Promise<void>
}

/**
 * Opens the demo store: a hub (a plain automerge-repo peer), `till-1` creating the store, and
 * links for every device to the hub. Close it in teardown.
 */
export async function openStoreNetwork(options: StoreNetworkOptions = {}): Promise<StoreNetwork> {
  // Short delays: the tests wait for sync, never for time, so faster wires only save minutes.
  const net = createSimNetwork({ seed: options.seed ?? 7, faults: { maxDelayMs: 5 } })
  const hub = new Repo({
    network: [net.adapter('hub', { kind: 'hub' })],
    peerId: 'hub' as PeerId,
    sharePolicy: async () => true,
  })
  const devices = new Set<Device>()
  const open = async (
    deviceId: string,
    storage: StorageAdapterInterface | { directory: string },
    storeUrl?: AutomergeUrl,
  ) => {
    net.link(deviceId, 'hub')
    const device = await openDevice({
      deviceId,
      storage,
      network: [net.adapter(deviceId)],
      logger: silentLogger,
      ...(storeUrl ? { storeUrl } : {}),
    })
    devices.add(device)
    if (storeUrl) await device.ready()
    return device
  }
  const anna = await open('till-1', new MemoryStorageAdapter())
  const init = demoStoreInit('store-1', () => '')
  const { storeUrl } = await anna.createStore({
    ...(options.store ? options.store(init) : init),
    tables: DEMO_TABLES,
  })
  const printerStorage = options.printerStorage ?? new MemoryStorageAdapter()
  let printer: Device | undefined

  const openPrinter = async () => {
    printer = await open(PRINTER_DEVICE, printerStorage, storeUrl)
    return printer
  }
  const closeDevice = async (device: Device, flush: boolean) => {
    devices.delete(device)
    await device.close({ flush })
  }

  return {
    net,
    hub,
    storeUrl,
    anna,
    till: (deviceId) => open(deviceId, new MemoryStorageAdapter(), storeUrl),
    printer: () => (printer ? Promise.resolve(printer) : openPrinter()),
    async restartPrinter() {
      if (printer) await closeDevice(printer, false)
      return openPrinter()
    },
    async closePrinter() {
      if (printer) await closeDevice(printer, true)
      printer = undefined
    },
    async close() {
      for (const d of [...devices]) await closeDevice(d, true)
      await hub.shutdown().catch(() => undefined)
    },
  }
}

/** Starts a bridge with test-friendly timeouts over a device source of `device`. */
export function startBridge(
  device: Device,
  dataDir: string,
  printers: { id: string; url: string }[],
  options: { crash?: CrashHook; statusTimeoutMs?: number } = {},
): { bridge: PrintBridge; source: TicketSource } {
  const source = createDeviceSource(device)
  try {
    const bridge = createPrintBridge({
      source,
      dataDir,
      printers,
      retry: { initialMs: 10, maxMs: 40 },
      connectTimeoutMs: 1000,
      // Short: a stalled printer is detected by its silence before any ticket byte.
      statusTimeoutMs: options.statusTimeoutMs ?? 300,
      // Long: a timeout after ticket bytes flags the ticket, and a loaded CI machine is slow.
      writeTimeoutMs: 10_000,
      ...(options.crash ? { crash: options.crash } : {}),
    })
    return { bridge, source }
  } catch (e) {
    void source.close()
    throw e
  }
}

/** Opens an order on a table from a terminal; returns its URL. */
export async function openTable(till: Device, tableId = 't4'): Promise<AutomergeUrl> {
  return (await till.openOrder(tableId)).url
}

/** The order as the bridge's device has it (its print records included). */
export async function orderOn(device: Device, url: AutomergeUrl): Promise<OrderData> {
  return (await device.orderSummary(url)).order
}

/**
 * Resolves once `predicate` holds, checked now and every few milliseconds: for what arrives
 * over the network. Rejects with `what` after `timeoutMs` (a hang, never a speed check).
 */
export async function eventually(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * Resolves when the bridge's source has every given ticket of the order: after that,
 * `bridge.whenIdle()` means they were handled (the bridge cannot be idle with a ticket queued).
 */
export function arrived(source: TicketSource, url: string, ticketIds: readonly string[]) {
  return eventually(`tickets ${ticketIds.join(', ')} reach the bridge`, () => {
    const order = source.order(url)
    return order !== undefined && ticketIds.every((id) => order.tickets[id] !== undefined)
  })
}

/** The order document's handle in a repo (a device's or the hub's). */
export function handleIn(repo: Repo, url: AutomergeUrl): Promise<DocHandle<OrderDoc>> {
  return repo.find<OrderDoc>(url, { allowableStates: ['ready', 'unavailable'] })
}

/** Resolves when every repo has the same heads of the document: they converged. */
export function converged(url: AutomergeUrl, repos: readonly Repo[]): Promise<void> {
  return eventually(`${url} converges`, async () => {
    const heads = await Promise.all(
      repos.map(async (r) => {
        const h = await handleIn(r, url)
        return h.isReady() ? [...h.heads()].sort().join(',') : `not-ready-${Math.random()}`
      }),
    )
    return heads.every((h) => h === heads[0])
  })
}
