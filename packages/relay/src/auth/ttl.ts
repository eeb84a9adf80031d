import { RelayError, RelayErrorKind } from '../errors.js'

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/**
 * Parses a time-to-live such as `45s`, `30m`, `12h`, `7d` or a bare number of seconds into
 * seconds. Throws an `invalid-input` {@link RelayError} otherwise.
 */
export function parseTtl(ttl: string | number): number {
  if (typeof ttl === 'number') {
    if (Number.isFinite(ttl) && ttl > 0) return Math.floor(ttl)
  } else {
    const match = /^(\d+)([smhd]?)$/.exec(ttl.trim())
    if (match) {
      const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1)
      if (seconds > 0) return seconds
    }
  }
  throw new RelayError(
    RelayErrorKind.invalidInput,
    'bad-ttl',
    `Invalid ttl "${ttl}" (use e.g. 12h)`,
  )
}
