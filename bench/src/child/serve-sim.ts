// The child side both device simulators share (capacity-sim for automerge-repo relays, yjs-sim
// for the Yjs relay): `setup` opens the devices of some stores and shares their orders, `run`
// drives them through the paced loop (fixtures/sim-run.ts), stopping closes every device.
// A simulator supplies only what differs: how a device connects, shares and taps.
import type { CommandContext } from '@tabsync/core'
import { commandContext, demoStore } from '../fixtures/orders.js'
import type { SimRun, SimTapper } from '../fixtures/sim-run.js'
import { serve } from './serve.js'

/** Where a simulated device sits: device `device` of store `store`, in the run tagged `tag`. */
export interface SimDeviceAt {
  readonly tag: string
  readonly store: number
  readonly device: number
  /** Its command context: device `s<store>-d<device>` of the demo store `store-<store>`. */
  readonly ctx: CommandContext
}

/** What one kind of simulated device does; {@link serveSimulator} calls it. */
export interface SimDevices<D> {
  /** Opens one device (called in order, one at a time). */
  open(at: SimDeviceAt): Promise<D> | D
  /**
   * Once every device of a store is open: the first device creates one order per entry of
   * `tables`, the others open them, and every device reports the lines it receives to the run.
   */
  share(
    devices: readonly D[],
    tables: readonly string[],
    at: { tag: string; store: number },
  ): Promise<void>
  /** The device's tap for the paced loop. */
  tapper(device: D): SimTapper
  close(device: D): Promise<void> | void
}

interface SetupRequest {
  readonly stores: number[]
  readonly devices: number
  readonly orders: number
  readonly tag: string
}

interface RunRequest {
  readonly durationMs: number
  readonly meanIntervalMs: number
  readonly warmupMs?: number
}

/** Serves the `setup` and `run` requests of a simulator child over IPC (see child/serve.ts). */
export function serveSimulator<D>(sim: SimRun, devices: SimDevices<D>): void {
  const stores: D[][] = []

  const setup = async (m: SetupRequest): Promise<Record<string, unknown>> => {
    // Orders spread over the first 8 tables, as a service does.
    const tables = Array.from({ length: m.orders }, (_, o) => `t${(o % 8) + 1}`)
    for (const store of m.stores) {
      const opened: D[] = []
      for (let device = 0; device < m.devices; device++) {
        const ctx = commandContext(`s${store}-d${device}`, demoStore(`store-${store}`))
        opened.push(await devices.open({ tag: m.tag, store, device, ctx }))
      }
      await devices.share(opened, tables, { tag: m.tag, store })
      stores.push(opened)
    }
    return { stores: stores.length }
  }

  const run = async (m: RunRequest): Promise<Record<string, unknown>> => ({
    ...(await sim.run(
      stores.map((opened) => opened.map((d) => devices.tapper(d))),
      m,
    )),
  })

  serve(
    {
      setup: (m) => setup(m as unknown as SetupRequest),
      run: (m) => run(m as unknown as RunRequest),
    },
    {},
    async () => {
      await Promise.all(stores.flat().map(async (d) => devices.close(d)))
    },
  )
}
