import { pino, type Logger, type Level } from 'pino'

/** Log level: a pino level or `silent`. */
export type LogLevel = Level | 'silent'

/**
 * The relay's pino logger. Fields used throughout: `storeId`, `deviceId`, `peerId`, `documentId`,
 * `reason`, `code`. Default level: `TABSYNC_RELAY_LOG` if set, else `silent` under vitest (tests
 * stay quiet) and `info` otherwise. `destination` 2 = stderr, so stdout stays machine-readable.
 */
export function createLogger(level?: LogLevel, destination: 1 | 2 = 2): Logger {
  const env = process.env.TABSYNC_RELAY_LOG as LogLevel | undefined
  const resolved: LogLevel = level ?? env ?? (process.env.VITEST ? 'silent' : 'info')
  return pino(
    { level: resolved, base: { name: 'tabsync-relay' } },
    pino.destination({ fd: destination, sync: true }),
  )
}

export type { Logger }
