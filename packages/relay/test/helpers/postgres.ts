import { execFile } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A throwaway PostgreSQL server owned by one test file. */
export interface TestPostgres {
  /** `postgres://tabsync@127.0.0.1:<port>/postgres` */
  readonly url: string
  readonly port: number
  /** Stops the server (fast shutdown): clients see their connections drop. */
  stop(): Promise<void>
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  destroy(): Promise<void>
  /** Runs one SQL statement through `psql`; rows as arrays of text (`|`-separated columns). */
  query(sql: string): Promise<string[][]>
}

/** Where Debian's `postgresql` package puts its server binaries (the newest major wins). */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql'
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((m) => existsSync(join(root, m, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  const major = majors[0]
  if (major === undefined) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: apt-get install -y postgresql (.ci/run does)',
    )
  }
  return join(root, major, 'bin')
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts a PostgreSQL server of its own: `initdb` in a fresh temporary directory, a free port on
 * 127.0.0.1, its socket in that directory, trust authentication for the role `tabsync`. Never
 * uses a server already running. initdb and pg_ctl refuse to run as root, and sessions and CI run
 * as root: then the directory is given to the `postgres` user and the binaries run through
 * `runuser -u postgres --`.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir()
  const dir = await mkdtemp(join(tmpdir(), 'tabsync-pg-'))
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
    await chmod(dir, 0o700)
  }
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
      : run(join(bin, tool), args)
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'tabsync', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // A test server: durability across an OS crash is not what these tests are about.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    // What made a cluster stall shows in <dir>/log: statements slower than 1 s, lock waits.
    '-c log_min_duration_statement=1000',
    '-c log_lock_waits=on',
    '-c deadlock_timeout=200ms',
  ].join(' ')
  let running = false
  const start = async (): Promise<void> => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
    running = true
  }
  const stop = async (): Promise<void> => {
    if (!running) return
    running = false
    await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
  }
  await start()
  // A test that times out must not leave a server behind.
  const onExit = (): void => {
    if (!running) return
    try {
      process.kill(Number(readPid(data)), 'SIGQUIT')
    } catch {
      // already gone
    }
  }
  process.once('exit', onExit)
  return {
    query: async (sql) => {
      const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'tabsync', '-d', 'postgres']
      const { stdout } = await run(join(bin, 'psql'), [...args, '-Atc', sql])
      return stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('|'))
    },
    url: `postgres://tabsync@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    destroy: async () => {
      process.off('exit', onExit)
      try {
        await stop()
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

function readPid(data: string): string {
  // postmaster.pid: the first line is the server's pid.
  return readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0] ?? ''
}
