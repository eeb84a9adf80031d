import { readFileSync } from 'node:fs'

/**
 * This package's version, read from its package.json (one level above both `src/` and `dist/`),
 * printed by `tabsync-relay --version`.
 */
export const RELAY_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version
