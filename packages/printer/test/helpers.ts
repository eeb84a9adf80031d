import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import {
  addLine,
  attachOrder,
  createHybridClock,
  decode,
  demoStoreInit,
  fire,
  initStoreDoc,
  initTableDoc,
  DEMO_TABLES,
  openOrder,
  readOrder,
  type CommandContext,
  type OrderData,
  type OrderDoc,
  type StoreData,
  type TableDoc,
} from '@tabsync/core'
import type { PrintBridge } from '../src/bridge/print-bridge.js'

/**
 * A store in a plain automerge-repo Repo: the documents a bare hub serves to the CLI in
 * `cli.process.test.ts`. Bridge tests use `store-network.ts` (devices on the simulated network).
 */
export interface World {
  readonly repo: Repo
  readonly storeUrl: AutomergeUrl
  readonly store: StoreData
  readonly tableUrl: (tableId: string) => AutomergeUrl
}

/** The demo store with its table documents, in a fresh repo with no network. */
export function createWorld(repo = new Repo({ network: [] })): World {
  const tables = new Map<string, AutomergeUrl>()
  for (const t of DEMO_TABLES) {
    tables.set(t.id, repo.create<TableDoc>(initTableDoc('store-1', t.id)).url)
  }
  const tableUrl = (id: string) => {
    const url = tables.get(id)
    if (!url) throw new Error(`no table ${id}`)
    return url
  }
  const init = demoStoreInit('store-1', tableUrl)
  const storeHandle = repo.create(initStoreDoc(init))
  return {
    repo,
    storeUrl: storeHandle.url,
    store: decode<StoreData>(initStoreDoc(init)),
    tableUrl,
  }
}

/** A device (terminal) with a real-time hybrid clock. */
export function till(world: World, deviceId: string): CommandContext {
  return { deviceId, clock: createHybridClock({ node: deviceId }), store: world.store }
}

/** Opens an order on a table (document created and attached to the table), returns its handle. */
export async function openTable(
  world: World,
  ctx: CommandContext,
  tableId = 't4',
): Promise<DocHandle<OrderDoc>> {
  const opened = openOrder(ctx, { tableId })
  const handle = world.repo.create<OrderDoc>(opened.doc)
  const table = await world.repo.find<TableDoc>(world.tableUrl(tableId))
  table.change((d) =>
    attachOrder(d, {
      orderId: opened.orderId,
      url: handle.url,
      businessDate: opened.businessDate,
      openedAt: opened.openedAt,
      openedBy: ctx.deviceId,
    }),
  )
  return handle
}

/** Runs a command on a handle and returns its result. */
export function run<R>(handle: DocHandle<OrderDoc>, command: (d: OrderDoc) => R): R {
  let result: R | undefined
  handle.change((d) => {
    result = command(d)
  })
  return result as R
}

/** The order as plain data. */
export function orderOf(handle: DocHandle<OrderDoc>): OrderData {
  return readOrder(handle.doc())
}

export { addLine, fire }

/** A fresh temporary data directory. */
export function tempDir(prefix = 'tabsync-printer-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** Parses "2x House burger" item lines of a decoded receipt into name -> quantity. */
export function itemsOf(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^(?:VOID )?(\d+)x (.+)$/.exec(line.trim())
    if (m) out.set(m[2] as string, (out.get(m[2] as string) ?? 0) + Number(m[1]))
  }
  return out
}

/** Resolves when the bridge's status satisfies `predicate` (checked now and on every change). */
export function waitForStatus(
  bridge: PrintBridge,
  predicate: (s: ReturnType<PrintBridge['status']>) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  if (predicate(bridge.status())) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`status never matched: ${JSON.stringify(bridge.status())}`))
    }, timeoutMs)
    const off = bridge.onStatus((s) => {
      if (!predicate(s)) return
      clearTimeout(timer)
      off()
      resolve()
    })
  })
}
