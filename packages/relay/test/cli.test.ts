// The CLI without TABSYNC_SECRET: `serve` creates a secret in its data directory and says so;
// `token` signs with the same secret; bad arguments exit 2 with the usage.
import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, expect, test } from 'vitest'
import { verifyToken } from '../src/auth/token.js'
import { connectRaw } from './helpers/raw-client.js'
import { runCleanups, spawnRelay, tempDir } from './helpers/relay-process.js'
import { readFile } from 'node:fs/promises'

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'tabsync-relay.js')
const run = promisify(execFile)
const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

test('serve creates a secret when TABSYNC_SECRET is unset; token signs with it', async () => {
  const data = await tempDir()
  cleanups.push(data.remove)
  const relay = await spawnRelay(['--port', '0', '--data', data.path], { TABSYNC_SECRET: '' })
  cleanups.push(() => relay.stop())
  expect(relay.info.secretSource).toBe('created')
  const secretFile = join(data.path, 'secret')
  expect((await stat(secretFile)).mode & 0o777).toBe(0o600)
  expect(relay.stderr()).toContain('TABSYNC_SECRET is not set')

  const env = { ...process.env, TABSYNC_SECRET: '' }
  const { stdout } = await run(
    process.execPath,
    [
      BIN,
      'token',
      '--store',
      'store-a',
      '--device',
      'till-1',
      '--role',
      'terminal',
      '--ttl',
      '1h',
      '--data',
      data.path,
    ],
    { env },
  )
  const token = stdout.trim()
  expect(stdout.endsWith('\n')).toBe(true)
  const claims = await verifyToken(token, (await readFile(secretFile, 'utf8')).trim())
  expect(claims).toMatchObject({ deviceId: 'till-1', storeIds: ['store-a'], role: 'terminal' })
  const outcome = await connectRaw(relay.syncUrl, token)
  expect(outcome.kind).toBe('open')
  if (outcome.kind === 'open') outcome.socket.close()

  const bad = await run(process.execPath, [BIN, 'token', '--device', 'x', '--role', 'terminal'], {
    env,
  }).catch((e: { code: number; stderr: string }) => e)
  expect(bad).toMatchObject({ code: 2 })
  expect((bad as { stderr: string }).stderr).toContain('Usage:')
})

test('`serve --help` prints the usage and `token --version` the version, both exiting 0', async () => {
  const help = await run(process.execPath, [BIN, 'serve', '--help'])
  expect(help.stdout).toContain('tabsync-relay serve')
  expect(help.stderr).not.toContain('Unknown option')
  const version = await run(process.execPath, [BIN, 'token', '--version'])
  const pkg = JSON.parse(
    await readFile(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8'),
  ) as { version: string }
  expect(version.stdout.trim()).toBe(pkg.version)
})
