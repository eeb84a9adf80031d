import * as A from '@automerge/automerge'
import {
  createHybridClock,
  decode,
  demoStoreInit,
  initStoreDoc,
  type CommandContext,
  type OrderDoc,
  type StoreData,
} from '../src/index.js'

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

/** Runs a command in an Automerge change and returns the new doc and the command's result. */
export function run<R>(doc: OrderDoc, command: (d: OrderDoc) => R): [OrderDoc, R] {
  let result: R | undefined
  const next = A.change(doc, (d) => {
    result = command(d)
  })
  return [next, result as R]
}
