// The public entry points: no name means two different things in two packages, and the demo
// store is not part of core's model API (it is @tabsync/core/demo).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = ['core', 'protocol', 'sync', 'relay', 'printer', 'svelte'] as const

/** Each exported name of a package's `src/index.ts`, with where it comes from. */
async function exportsOf(pkg: string): Promise<Map<string, string>> {
  const text = await readFile(join(root, 'packages', pkg, 'src', 'index.ts'), 'utf8')
  const names = new Map<string, string>()
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g))
    for (const part of m[1]!.split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()!
        .trim()
      if (name) names.set(name, m[2]!)
    }
  return names
}

test('no two packages export one name for two different things', async () => {
  const owners = new Map<string, { pkg: string; from: string }[]>()
  for (const pkg of PACKAGES)
    for (const [name, from] of await exportsOf(pkg))
      owners.set(name, [...(owners.get(name) ?? []), { pkg, from }])
  const clashes = [...owners]
    .filter(([, list]) => list.length > 1)
    // A re-export of the owning package's name (sync's CloseCode from @tabsync/protocol) is the
    // same thing under the same name.
    .filter(([, list]) => list.filter((o) => !o.from.startsWith('@tabsync/')).length > 1)
    .map(([name, list]) => `${name}: ${list.map((o) => o.pkg).join(', ')}`)
  expect(clashes).toEqual([])
})

test("core's entry point exports no demo fixture and no internals; they have their own subpaths", async () => {
  const core = await exportsOf('core')
  const misplaced = [...core].filter(([, from]) => /\/demo\/|store-bound-id|bundle/.test(from))
  expect(misplaced).toEqual([])
  const pkg = JSON.parse(await readFile(join(root, 'packages/core/package.json'), 'utf8')) as {
    exports: Record<string, unknown>
  }
  expect(Object.keys(pkg.exports).sort()).toEqual(['.', './demo', './internal'])
})
