import * as A from '@automerge/automerge'
import {
  createHybridClock,
  decode,
  initStoreDoc,
  openOrder,
  type CommandContext,
  type OrderDoc,
  type StoreData,
} from '../src/index.js'
import { demoStoreInit } from '../src/demo.js'

/** The demo store as plain data, with fake table URLs (core never resolves them). */
export function demoStore(storeId = 'store-1'): StoreData {
  return decode<StoreData>(initStoreDoc(demoStoreInit(storeId, (t) => `automerge:table-${t}`)))
}

/** A device's command context with a controllable wall clock. */
export function device(
  deviceId: string,
  options: { store?: StoreData; startMs?: number; stepMs?: number } = {},
): CommandContext & { advance(ms: number): void } {
  let now = options.startMs ?? Date.UTC(2026, 10, 20, 18, 0)
  const step = options.stepMs ?? 1000
  const clock = createHybridClock({
    node: deviceId,
    wallClock: () => {
      now += step
      return now
    },
  })
  return {
    deviceId,
    clock,
    store: options.store ?? demoStore(),
    advance(ms) {
      now += ms
    },
  }
}

/** One replica of an order document: `run` applies a command in an Automerge change. */
export interface Replica {
  doc: OrderDoc
  run<R>(command: (d: OrderDoc) => R): R
}

/** Wraps an order document so commands can be run on it one after another. */
export function replica(doc: OrderDoc): Replica {
  const r: Replica = {
    doc,
    run<R>(command: (d: OrderDoc) => R): R {
      let result: R | undefined
      r.doc = A.change(r.doc, (d) => {
        result = command(d)
      })
      return result as R
    },
  }
  return r
}

/** A new order on `tableId` as an Automerge document, opened by `ctx`. */
export function newOrderDoc(ctx: CommandContext, tableId = 't1'): OrderDoc {
  return A.from(
    openOrder(ctx, { tableId }).doc as unknown as Record<string, unknown>,
  ) as unknown as OrderDoc
}

/** JSON with object keys sorted: two replicas' plain data compared independent of key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  )
}
