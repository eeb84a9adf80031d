// The child side of processes.ts: answer requests by type, announce readiness, die with the parent.
import type { ChildMessage } from './processes.js'

type Handler = (m: ChildMessage) => Promise<Record<string, unknown>> | Record<string, unknown>

/** Serves `handlers` over IPC and sends `ready` with `info`. `stop` runs before exiting. */
export function serve(
  handlers: Record<string, Handler>,
  info: Record<string, unknown>,
  stop: () => Promise<void> | void = () => {},
): void {
  let stopping = false
  const exit = async () => {
    if (stopping) return
    stopping = true
    try {
      await stop()
    } finally {
      process.exit(0)
    }
  }
  process.on('message', (raw) => {
    const m = raw as ChildMessage
    const h = handlers[m.type]
    if (!h) {
      process.send?.({ type: 'error', id: m.id, message: `unknown request ${m.type}` })
      return
    }
    Promise.resolve()
      .then(() => h(m))
      .then(
        (reply) => process.send?.({ ...reply, type: 'reply', id: m.id }),
        (e: unknown) =>
          process.send?.({
            type: 'error',
            id: m.id,
            message: e instanceof Error ? (e.stack ?? e.message) : String(e),
          }),
      )
  })
  process.on('disconnect', () => void exit())
  process.on('SIGTERM', () => void exit())
  process.send?.({ type: 'ready', ...info })
}

/** Sends an unsolicited message to the parent. */
export function emit(message: ChildMessage): void {
  process.send?.(message)
}
