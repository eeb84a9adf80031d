import * as fs from 'node:fs'
import * as path from 'node:path'
import { PrinterError, PrinterErrorKind } from '../errors.js'

/** A held lock on a data directory. */
export interface DirLock {
  release(): void
}

/**
 * Takes `bridge.lock` in `dataDir` so only one bridge uses a ledger (two would both send). A lock
 * left by a process that no longer runs (killed, power cut) is taken over; one held by a live
 * process is refused with a `config` error naming its pid.
 */
export function acquireDirLock(dataDir: string): DirLock {
  fs.mkdirSync(dataDir, { recursive: true })
  const file = path.join(dataDir, 'bridge.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx')
      fs.writeSync(fd, `${process.pid}\n`)
      fs.closeSync(fd)
      let held = true
      return {
        release() {
          if (!held) return
          held = false
          fs.rmSync(file, { force: true })
        },
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(fs.readFileSync(file, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new PrinterError(
          PrinterErrorKind.config,
          `${dataDir} is in use by another print bridge (pid ${pid})`,
          { pid },
        )
      }
      fs.rmSync(file, { force: true }) // stale: its process is gone
    }
  }
  throw new PrinterError(PrinterErrorKind.config, `could not lock ${dataDir}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
