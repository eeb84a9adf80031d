import { pino, type DestinationStream, type Logger, type Level } from 'pino'
import { REDACTED, redactSecrets } from '@tabsync/protocol'

/** Log level: a pino level or `silent`. */
export type LogLevel = Level | 'silent'

/**
 * The relay's pino logger. Fields used throughout: `storeId`, `deviceId`, `peerId`, `documentId`,
 * `reason`, `code`. Default level: `TABSYNC_RELAY_LOG` if set, else `silent` under vitest (tests
 * stay quiet) and `info` otherwise. `destination` 2 = stderr, so stdout stays machine-readable.
 * Tokens never reach the output: fields named like credentials are censored, and every line
 * is scrubbed of JWTs, `token=` parameters and bearer credentials on its way out (see
 * log/redact.ts). A logger passed in `RelayOptions.logger` is the caller's: redact it likewise.
 */
export function createLogger(level?: LogLevel, destination: 1 | 2 | DestinationStream = 2): Logger {
  const env = process.env.TABSYNC_RELAY_LOG as LogLevel | undefined
  const resolved: LogLevel = level ?? env ?? (process.env.VITEST ? 'silent' : 'info')
  return pino(
    {
      level: resolved,
      base: { name: 'tabsync-relay' },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: redactSecrets },
    },
    typeof destination === 'number'
      ? pino.destination({ fd: destination, sync: true })
      : destination,
  )
}

/** Log fields that hold credentials whatever their value looks like. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'upstreamToken',
  'authorization',
  'headers.authorization',
  'headers["sec-websocket-protocol"]',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
]

export type { Logger }
