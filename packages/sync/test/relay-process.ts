// Real relay processes (packages/relay's CLI) for sync tests that need a hub, a cloud relay, or
// restarts on the same port and data.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'

/** The relay processes' signing secret. */
export const RELAY_SECRET = 'tabsync-sync-liveness-secret-0123456789'

// The relay package exports only its source entry; its bin sits next to `src/`.
const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@tabsync/relay')),
  '..',
  'bin',
  'tabsync-relay.js',
)

/** A relay (or hub) running as a process. */
export interface RelayProcess {
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly syncUrl: string
  /** stderr so far (pino JSON lines). */
  stderr(): string
  /** SIGTERM, then waits for the exit. Idempotent. */
  stop(): Promise<void>
}

/** `tabsync-relay serve --port <port> --data <dataDir> ...extra`; resolves once listening. */
export async function spawnRelay(
  dataDir: string,
  options: { port?: number; args?: readonly string[]; logLevel?: string } = {},
): Promise<RelayProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'serve', '--port', String(options.port ?? 0), '--data', dataDir, ...(options.args ?? [])],
    {
      env: {
        ...process.env,
        TABSYNC_SECRET: RELAY_SECRET,
        TABSYNC_RELAY_LOG: options.logLevel ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    void exited.then(() => reject(new Error(`relay exited before listening:\n${stderr}`)))
  })
  const info = JSON.parse(line) as { port: number; url: string; syncUrl: string }
  let stopping: Promise<void> | undefined
  return {
    port: info.port,
    url: info.url,
    syncUrl: info.syncUrl,
    stderr: () => stderr,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(killer)
      })()),
  }
}

/** A temporary directory and its removal. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tabsync-liveness-'))
  return { path, remove: () => rm(path, { recursive: true, force: true, maxRetries: 5 }) }
}
