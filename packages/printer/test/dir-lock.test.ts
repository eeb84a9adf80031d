// The data directory lock: not fooled by PID reuse, taken over after a crash, still exclusive.
import * as fs from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { isPrinterError } from '../src/errors.js'
import { LOCK_NAME, acquireDirLock, type DirLock } from '../src/ledger/dir-lock.js'

const held: DirLock[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const l of held.splice(0)) l.release()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tabsync-lock-'))
  dirs.push(d)
  return d
}

test('a lock file naming a live unrelated PID does not block a start after a crash', async () => {
  const dir = await dataDir()
  // What an older bridge left behind, and the PID now belongs to a live process (this one).
  fs.writeFileSync(join(dir, 'bridge.lock'), `${process.pid}\n`)
  held.push(acquireDirLock(dir))
  expect(fs.existsSync(join(dir, LOCK_NAME))).toBe(true)
})

test('the lock of a bridge that crashed (not refreshed for longer than staleMs) is taken over', async () => {
  const dir = await dataDir()
  fs.mkdirSync(join(dir, LOCK_NAME))
  const longAgo = new Date(Date.now() - 60_000)
  fs.utimesSync(join(dir, LOCK_NAME), longAgo, longAgo)
  held.push(acquireDirLock(dir, { staleMs: 10_000 }))
})

test('two bridges on one data directory: the second is refused with a one-line config error', async () => {
  const dir = await dataDir()
  held.push(acquireDirLock(dir))
  let error: unknown
  try {
    held.push(acquireDirLock(dir))
  } catch (e) {
    error = e
  }
  expect(isPrinterError(error, 'config')).toBe(true)
  expect((error as Error).message).toMatch(/in use by another print bridge/)
  expect((error as Error).message).not.toContain('\n')
})

test('a released lock can be taken again at once', async () => {
  const dir = await dataDir()
  acquireDirLock(dir).release()
  held.push(acquireDirLock(dir))
})

test('a fresh lock whose recorded pid now belongs to another process (PID reuse) is taken over at once', async () => {
  const dir = await dataDir()
  fs.mkdirSync(join(dir, LOCK_NAME))
  // The pid is alive (this very process) but its start time is not the one recorded.
  fs.writeFileSync(
    join(dir, LOCK_NAME, 'owner.json'),
    JSON.stringify({ pid: process.pid, startTime: '1' }),
  )
  held.push(acquireDirLock(dir, { staleMs: 60_000 }))
})
