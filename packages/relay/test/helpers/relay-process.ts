import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ListeningLine } from '../../src/cli.js'

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tabsync-relay.js')

/** A test secret long enough for HS256. */
export const TEST_SECRET = 'tabsync-relay-test-secret-0123456789'

const children = new Set<ChildProcess>()
// A test that times out must not leave relay processes behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/** A relay running as a real process through the CLI. */
export interface RelayProcess {
  readonly info: ListeningLine
  readonly port: number
  readonly url: string
  readonly syncUrl: string
  readonly child: ChildProcess
  /** stderr so far (pino logs), for failure messages. */
  stderr(): string
  /** Sends a signal and waits for the process to exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Spawns `node bin/tabsync-relay.js serve --allow-query-token ...` and waits for its listening
 * line. `--allow-query-token`: the tests' devices are automerge-repo's stock client (helpers/
 * devices.ts), an old client that can only send its token in the URL.
 */
export async function spawnRelay(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RelayProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--allow-query-token', ...args], {
    env: {
      ...process.env,
      TABSYNC_SECRET: TEST_SECRET,
      TABSYNC_RELAY_LOG: process.env.RELAY_TEST_LOG ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => resolve(line))
    void exited.then((code) =>
      reject(new Error(`relay exited (${code}) before listening:\n${stderr}`)),
    )
  })
  const info = JSON.parse(first) as ListeningLine
  return {
    info,
    port: info.port,
    url: info.url,
    syncUrl: info.syncUrl,
    child,
    stderr: () => stderr,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      // A relay that does not stop within 10 s is killed: never leak a process.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/** Runs cleanups in reverse order; one failing does not skip the others. */
export async function runCleanups(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const errors: unknown[] = []
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup()
    } catch (e) {
      errors.push(e)
    }
  }
  cleanups.length = 0
  if (errors.length > 0) throw errors[0]
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(
  prefix = 'tabsync-relay-test-',
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}
