// What makes the built terminal stale, for `npm start` and the browser tests alike.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { isBuildStale } from '../server/stale-build.js'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** A terminal folder whose files have the given modification times (seconds since 1970). */
async function terminalFolder(files: Record<string, number>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tabsync-stale-'))
  dirs.push(root)
  for (const [path, mtime] of Object.entries(files)) {
    const file = join(root, path)
    await mkdir(join(file, '..'), { recursive: true })
    await writeFile(file, path)
    await utimes(file, mtime, mtime)
  }
  return root
}

test('a build newer than src, public and vite.config.ts is fresh', async () => {
  const root = await terminalFolder({
    'dist/index.html': 2000,
    'src/lib/a.ts': 1000,
    'public/icon.svg': 1000,
    'vite.config.ts': 1000,
  })
  expect(isBuildStale(root)).toBe(false)
})

test('a build is stale when a nested source, a public file or vite.config.ts is newer, or when it is missing', async () => {
  const base = { 'src/lib/a.ts': 1000, 'public/icon.svg': 1000, 'vite.config.ts': 1000 }
  for (const newer of ['src/lib/deep/b.ts', 'public/icon.svg', 'vite.config.ts']) {
    const root = await terminalFolder({ ...base, 'dist/index.html': 2000, [newer]: 3000 })
    expect(isBuildStale(root), newer).toBe(true)
  }
  expect(isBuildStale(await terminalFolder(base))).toBe(true)
})
