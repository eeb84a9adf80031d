/** The steps where tests inject a crash (see `PrintBridgeOptions.crash`). */
export const CrashStep = {
  /** SENDING is on disk, no byte sent yet. */
  afterLedger: 'after-ledger',
  /** Half the ticket bytes are sent. */
  duringSend: 'during-send',
  /** The printer took every byte; PRINTED is not on disk yet. */
  afterSend: 'after-send',
  /** PRINTED is on disk; the order document is not updated yet. */
  afterPrinted: 'after-printed',
} as const
export type CrashStep = (typeof CrashStep)[keyof typeof CrashStep]

/** The test hook of `PrintBridgeOptions.crash`: throwing means the process dies right there. */
export type CrashHook = (step: CrashStep, info: { printerId: string; ticketId: string }) => void

/** Thrown through the bridge's parts once an injected crash happened. */
export class Crashed extends Error {}

/**
 * Whether the bridge still runs, shared by its parts: a stopped (or crashed) bridge writes
 * nothing more, neither to the ledger nor to documents.
 */
export interface BridgeLife {
  readonly stopped: boolean
  readonly crashed: boolean
  /** Staff or the host stop the bridge (orderly). */
  stop(): void
  /**
   * Calls the crash hook at `step`. If the hook throws, the bridge dies as a killed process
   * would (`onDeath` runs once) and {@link Crashed} is thrown to unwind the caller.
   */
  crashAt(step: CrashStep, printerId: string, ticketId: string): void
}

/** Creates the life of one bridge. `onDeath` does what the death of the process would. */
export function createBridgeLife(hook: CrashHook | undefined, onDeath: () => void): BridgeLife {
  let stopped = false
  let crashed = false
  return {
    get stopped() {
      return stopped
    },
    get crashed() {
      return crashed
    },
    stop() {
      stopped = true
    },
    crashAt(step, printerId, ticketId) {
      if (crashed) throw new Crashed('crashed')
      try {
        hook?.(step, { printerId, ticketId })
      } catch {
        crashed = true
        stopped = true
        onDeath()
        throw new Crashed(`crash injected at ${step}`)
      }
    },
  }
}
