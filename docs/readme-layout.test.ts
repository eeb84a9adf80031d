// Every package README's "Layout" section matches the package's tree: each source file is named
// there, and each file named there exists. A file added, moved or removed without its README
// fails here.
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = ['core', 'protocol', 'sync', 'relay', 'printer', 'svelte'] as const

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

test.each(PACKAGES)(
  "the Layout section of %s's README names every source file, and only files that exist",
  async (pkg) => {
    const dir = join(root, 'packages', pkg)
    const readme = await readFile(join(dir, 'README.md'), 'utf8')
    const start = readme.indexOf('\n## Layout')
    expect(start, `packages/${pkg}/README.md has no "## Layout" section`).toBeGreaterThan(-1)
    const rest = readme.slice(start + 1)
    const next = rest.indexOf('\n## ')
    const layout = next === -1 ? rest : rest.slice(0, next)
    // Named files, by base name (a layout may group a folder's files on one line); built output
    // (dist/...) is not in the tree.
    const named = new Set(
      [...layout.matchAll(/(?<![\w/.-])(?!dist\/)((?:[\w.-]+\/)*)([\w.-]+\.(?:ts|js))\b/g)].map(
        (m) => m[2]!,
      ),
    )
    const sources = [
      ...(await filesUnder(join(dir, 'src'))),
      ...(await filesUnder(join(dir, 'bin'))),
      ...(await filesUnder(join(dir, 'example'))),
    ].filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts'))
    const existing = new Set(
      [...sources, ...(await filesUnder(join(dir, 'test')))].map((f) => basename(f)),
    )
    const unnamed = sources.map((f) => basename(f)).filter((f) => !named.has(f))
    const missing = [...named].filter((f) => !existing.has(f))
    expect({ unnamed, missing }).toEqual({ unnamed: [], missing: [] })
  },
)
