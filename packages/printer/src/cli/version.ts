import { readFileSync } from 'node:fs'

/**
 * This package's version, read from its package.json (one level above both `src/` and `dist/`),
 * printed by `tabsync-printer --version` and `tabsync-fake-printer --version`.
 */
export const PRINTER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version
