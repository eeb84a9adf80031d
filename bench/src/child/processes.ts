// Separate processes for relays and simulated devices: fork a TypeScript entry through tsx, talk
// to it with request/reply messages over IPC, and never leave one running.
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const live = new Set<ChildProcess>()

/** A message to or from a child: `type` names it; replies carry the request's `id`. */
export interface ChildMessage {
  readonly type: string
  readonly id?: number
  readonly [key: string]: unknown
}

/** A running child and a typed request/reply channel to it. */
export interface Child {
  readonly pid: number
  request<R = ChildMessage>(message: ChildMessage, timeoutMs?: number): Promise<R>
  /** Messages the child sends on its own (not replies). */
  onMessage(cb: (m: ChildMessage) => void): void
  stop(): Promise<void>
}

/** Options for {@link startChild}. */
export interface ChildOptions {
  readonly env?: Record<string, string>
  /** automerge-repo's per-document sync throttle for the stock path (default: its own 100 ms). */
  readonly syncThrottleMs?: number
  readonly args?: readonly string[]
}

/**
 * Starts `src/child/<entry>.ts` in its own Node process (tsx) and waits for its `ready` message.
 * The child exits by itself if this process goes away (IPC disconnect).
 */
export async function startChild(
  entry: string,
  options: ChildOptions = {},
): Promise<Child & { ready: ChildMessage }> {
  // The children run the sources (@tabsync/* through their "@tabsync/source" export condition),
  // so the bench's tests need no build.
  const execArgv = ['--conditions=@tabsync/source', '--import', 'tsx']
  // `TABSYNC_BENCH_PROFILE=<dir>`: a V8 CPU profile of every relay child and of the cold
  // device's driver, written on exit (`TABSYNC_BENCH_PROFILE_ALL=1`: of every child).
  const profileDir = process.env['TABSYNC_BENCH_PROFILE']
  const profileAll = process.env['TABSYNC_BENCH_PROFILE_ALL'] === '1'
  if (profileDir && (profileAll || entry.endsWith('-relay') || entry === 'cold-driver'))
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`)
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...options.env }
  if (options.syncThrottleMs !== undefined) {
    env['TABSYNC_BENCH_SYNC_THROTTLE_MS'] = String(options.syncThrottleMs)
  }
  const cp = fork(path.join(here, `${entry}.ts`), [...(options.args ?? [])], {
    execArgv,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  live.add(cp)
  let nextId = 1
  const pending = new Map<
    number,
    { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }
  >()
  const listeners: ((m: ChildMessage) => void)[] = []
  let exited = false
  const exitPromise = new Promise<void>((resolve) => {
    cp.once('exit', (code, signal) => {
      exited = true
      live.delete(cp)
      for (const p of pending.values())
        p.reject(new Error(`child ${entry} exited (${code ?? signal})`))
      pending.clear()
      resolve()
    })
  })
  cp.on('message', (raw) => {
    const m = raw as ChildMessage
    if (m.type === 'reply' || m.type === 'error') {
      const p = m.id === undefined ? undefined : pending.get(m.id)
      if (!p) return
      pending.delete(m.id as number)
      if (m.type === 'error') p.reject(new Error(`child ${entry}: ${String(m['message'])}`))
      else p.resolve(m)
      return
    }
    for (const l of listeners) l(m)
  })
  const child: Child = {
    pid: cp.pid ?? -1,
    request<R>(message: ChildMessage, timeoutMs = 120_000): Promise<R> {
      if (exited) return Promise.reject(new Error(`child ${entry} has exited`))
      const id = nextId++
      return new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`child ${entry}: ${message.type} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, {
          resolve: (m) => {
            clearTimeout(timer)
            resolve(m as R)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        })
        cp.send({ ...message, id })
      })
    },
    onMessage(cb) {
      listeners.push(cb)
    },
    async stop() {
      if (exited) return
      cp.kill('SIGTERM')
      const timer = setTimeout(() => cp.kill('SIGKILL'), 3000)
      await exitPromise
      clearTimeout(timer)
    },
  }
  const ready = await new Promise<ChildMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child ${entry} not ready after 30 s`)), 30_000)
    listeners.push((m) => {
      if (m.type === 'ready') {
        clearTimeout(timer)
        resolve(m)
      }
    })
    void exitPromise.then(() => {
      clearTimeout(timer)
      reject(new Error(`child ${entry} exited before ready`))
    })
  })
  return { ...child, ready }
}

/** Stops every child this process started (the runner calls it after each workload). */
export async function killAllChildren(): Promise<void> {
  await Promise.all(
    [...live].map(
      (cp) =>
        new Promise<void>((resolve) => {
          if (cp.exitCode !== null || cp.signalCode !== null) return resolve()
          const timer = setTimeout(() => cp.kill('SIGKILL'), 3000)
          cp.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          cp.kill('SIGTERM')
        }),
    ),
  )
  live.clear()
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const cp of live) cp.kill('SIGKILL')
    process.exit(130)
  })
}
