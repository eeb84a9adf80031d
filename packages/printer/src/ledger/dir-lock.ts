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
  /** A lock not refreshed for this long belongs to a crashed bridge and is taken over. Default
   *  10 s; the holder refreshes it every `staleMs / 2`. */
  readonly staleMs?: number
  /** The lock was lost while held (its directory removed, or not refreshed in time). */
  readonly onCompromised?: (err: Error) => void
}

/** Name of the lock (a directory, made atomically by `mkdir`) inside the data directory. */
export const LOCK_NAME = 'bridge.lock.d'
/** The PID file older bridges wrote; removed on start, never trusted. */
const LEGACY_PID_FILE = 'bridge.lock'

/**
 * Takes the data directory's lock so only one bridge uses a ledger (two would both send).
 *
 * proper-lockfile, not a PID file: the old PID file could be fooled by PID reuse (after a crash, a
 * live unrelated process with the recorded PID kept the kitchen from printing). Here the lock is a
 * directory created with `mkdir` (atomic) whose mtime the holder refreshes every `staleMs / 2`;
 * a lock not refreshed for `staleMs` (its bridge crashed or lost power) is stale and taken over.
 * No PID is read, so PID reuse cannot matter. A bridge that really holds it is refused with a
 * `config` error whose message is one line.
 */
export function acquireDirLock(dataDir: string, options: DirLockOptions = {}): DirLock {
  fs.mkdirSync(dataDir, { recursive: true })
  fs.rmSync(path.join(dataDir, LEGACY_PID_FILE), { force: true })
  const lockPath = path.join(dataDir, LOCK_NAME)
  const staleMs = options.staleMs ?? 10_000
  let release: () => void
  try {
    release = lockfile.lockSync(dataDir, {
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
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e
    throw new PrinterError(
      PrinterErrorKind.config,
      `${dataDir} is in use by another print bridge (stop it first; a crashed bridge's lock expires after ${Math.round(staleMs / 1000)} s)`,
      { lockPath },
    )
  }
  let held = true
  return {
    release() {
      if (!held) return
      held = false
      try {
        release()
      } catch {
        // Already released or compromised: nothing left to free.
      }
    },
  }
}
