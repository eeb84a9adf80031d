import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { createHybridClock, type ClockState, type HybridClock } from '@tabsync/core'
import { z } from 'zod'
import { DeviceKeys } from '../storage/device-keys.js'

const StoredClock = z.object({
  ms: z.number().int().nonnegative(),
  counter: z.number().int().nonnegative(),
})

/** A hybrid clock whose state lives in the device's storage adapter. */
export interface PersistentClock {
  readonly clock: HybridClock
  /** Resolves once the clock's current state (or a later one) is in storage. */
  persist(): Promise<void>
}

/** Options of {@link openPersistentClock}. */
export interface PersistentClockOptions {
  readonly storage: StorageAdapterInterface
  readonly node: string
  readonly wallClock?: (() => number) | undefined
  readonly maxSkewMs?: number | undefined
}

/**
 * Restores the device's hybrid clock from storage (so it never runs backwards across restarts)
 * and keeps writing its state back. Writes are coalesced: one in flight, the latest state next.
 */
export async function openPersistentClock(
  options: PersistentClockOptions,
): Promise<PersistentClock> {
  const { storage } = options
  let state: ClockState | undefined
  try {
    const bytes = await storage.load(DeviceKeys.clock)
    if (bytes) state = StoredClock.parse(JSON.parse(new TextDecoder().decode(bytes)))
  } catch {
    // A torn or foreign value: start from the wall clock; documents' stamps are absorbed on open.
    state = undefined
  }

  let version = 0
  let written = 0
  let writing: Promise<void> | undefined
  const clock = createHybridClock({
    node: options.node,
    ...(options.wallClock ? { wallClock: options.wallClock } : {}),
    ...(options.maxSkewMs !== undefined ? { maxSkewMs: options.maxSkewMs } : {}),
    state,
    onState: () => {
      version++
    },
  })

  const writeLoop = async (): Promise<void> => {
    while (written < version) {
      const target = version
      const bytes = new TextEncoder().encode(JSON.stringify(clock.state()))
      await storage.save(DeviceKeys.clock, bytes)
      written = target
    }
  }

  const persist = async (): Promise<void> => {
    const wanted = version
    while (written < wanted) {
      if (!writing) {
        writing = writeLoop().finally(() => {
          writing = undefined
        })
      }
      await writing
    }
  }

  return { clock, persist }
}
