import * as fs from 'node:fs'
import * as path from 'node:path'
import lockfile from 'proper-lockfile'
import { PrinterError, PrinterErrorKind } from '../errors.js'

/** A held lock on a data directory. */
export interface DirLock {
  release(): void
}

/** Options of {@link acquireDirLock}. */
export interface DirLockOptions {
  /** A lock not refreshed for this long belongs to a crashed bridge and is taken over; the
   *  holder refreshes it every `staleMs / 2`. Default 10 s where /proc is missing; on Linux a
   *  day, because the holder's pid and start time already tell a crashed holder at once, and a
   *  bridge whose event loop stalls under load must not lose its lock to a second bridge. */
  readonly staleMs?: number
  /** The lock was lost while held (its directory removed, or not refreshed in time). */
  readonly onCompromised?: (err: Error) => void
}

/** Name of the lock (a directory, made atomically by `mkdir`) inside the data directory. */
export const LOCK_NAME = 'bridge.lock.d'
/** The PID file older bridges wrote; removed on start, never trusted. */
const LEGACY_PID_FILE = 'bridge.lock'
/** Inside the lock: the holder's pid and its start time (Linux /proc), to free a crashed
 *  holder's lock at once instead of after `staleMs`. */
const OWNER_FILE = 'owner.json'

/**
 * The start time of a process (clock ticks since boot, field 22 of /proc/<pid>/stat), or
 * undefined where /proc is missing or the process is gone. A pid plus its start time names one
 * process for the machine's uptime: a reused pid has another start time.
 */
function startTimeOf(pid: number | 'self'): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** True when the lock's recorded holder is certainly not running (Linux only; else false). */
function holderIsGone(lockPath: string): boolean {
  if (startTimeOf('self') === undefined) return false // no /proc: rely on staleness
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(lockPath, OWNER_FILE), 'utf8')) as {
      pid?: unknown
      startTime?: unknown
    }
    if (typeof owner.pid !== 'number' || typeof owner.startTime !== 'string') return false
    return startTimeOf(owner.pid) !== owner.startTime
  } catch {
    return false // no owner file yet (being written): not ours to judge
  }
}

/**
 * Takes the data directory's lock so only one bridge uses a ledger (two would both send).
 *
 * proper-lockfile, not a PID file: the old PID file could be fooled by PID reuse (after a crash, a
 * live unrelated process with the recorded PID kept the kitchen from printing). Here the lock is a
 * directory created with `mkdir` (atomic) whose mtime the holder refreshes every `staleMs / 2`;
 * a lock not refreshed for `staleMs` (its bridge crashed or lost power) is stale and taken over.
 * On Linux the holder also writes its pid and process start time into the lock: a lock whose
 * holder is gone (no such process, or a process with that pid but another start time, i.e. PID
 * reuse) is freed at once, so a bridge restarted right after a crash starts. A bridge that really
 * holds it is refused with a `config` error whose message is one line.
 */
export function acquireDirLock(dataDir: string, options: DirLockOptions = {}): DirLock {
  fs.mkdirSync(dataDir, { recursive: true })
  fs.rmSync(path.join(dataDir, LEGACY_PID_FILE), { force: true })
  const lockPath = path.join(dataDir, LOCK_NAME)
  const staleMs =
    options.staleMs ?? (startTimeOf('self') === undefined ? 10_000 : 24 * 60 * 60 * 1000)
  let release: () => void
  const take = (): (() => void) =>
    lockfile.lockSync(dataDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 2)),
      onCompromised:
        options.onCompromised ??
        ((err) => {
          // Never throw from a timer inside the bridge: report it; the process keeps printing.
          process.stderr.write(`tabsync-printer: lock on ${dataDir} compromised: ${err.message}\n`)
        }),
    })
  try {
    try {
      release = take()
    } catch (e) {
      // A holder that crashed (kill -9, power cut) is known gone at once by pid + start time;
      // the directory's staleness covers machines without /proc.
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || !holderIsGone(lockPath)) throw e
      fs.rmSync(lockPath, { recursive: true, force: true })
      release = take()
    }
    fs.writeFileSync(
      path.join(lockPath, OWNER_FILE),
      JSON.stringify({ pid: process.pid, startTime: startTimeOf('self') ?? null }),
    )
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e
    throw new PrinterError(
      PrinterErrorKind.config,
      `${dataDir} is in use by another print bridge (stop it first; ${
        startTimeOf('self') === undefined
          ? `a crashed bridge's lock expires after ${Math.round(staleMs / 1000)} s`
          : "a crashed bridge's lock is freed at the next start"
      })`,
      { lockPath },
    )
  }
  let held = true
  return {
    release() {
      if (!held) return
      held = false
      try {
        // proper-lockfile removes the lock with rmdir: empty it first.
        fs.rmSync(path.join(lockPath, OWNER_FILE), { force: true })
        release()
      } catch {
        // Already released or compromised: nothing left to free.
      }
    },
  }
}
