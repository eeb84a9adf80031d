/*
 * Whether the built terminal (`dist/`) is older than what it is built from. `npm start` and the
 * browser tests both rebuild on it, so they agree on what makes a build stale.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newest(dir: string): number {
  if (!existsSync(dir)) return 0
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return latest
}

/**
 * True when `<root>/dist/index.html` is missing or older than any file under `src/` or
 * `public/`, or than `vite.config.ts` (`root`: the terminal's folder).
 */
export function isBuildStale(root: string): boolean {
  const index = join(root, 'dist', 'index.html')
  if (!existsSync(index)) return true
  const config = join(root, 'vite.config.ts')
  const sources = Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'public')),
    existsSync(config) ? statSync(config).mtimeMs : 0,
  )
  return statSync(index).mtimeMs < sources
}
