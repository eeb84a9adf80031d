/*
 * patches/automerge-repo holds the upstream form of Tabsync's run-time hooks into automerge-repo:
 * one unified diff per change against the TypeScript source the npm package ships. This keeps
 * them honest: each applies to the installed source on its own and the whole series applies in
 * order (an automerge-repo upgrade that moves what a patch touches fails here), the patched source
 * type-checks with the package's own compiler settings, every source file that replaces part of
 * automerge-repo or Automerge at run time points into patches/, and the README names every patch.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const PATCH_DIR = join(root, 'patches', 'automerge-repo')
const README = join(root, 'patches', 'README.md')

/**
 * What marks a source file as replacing part of automerge-repo or Automerge at run time: a class
 * prototype or prototype chain changed, Automerge's API object refilled, automerge-repo's
 * `bs58check` object memoized, or the probe of automerge-repo's private classes.
 */
const HOOK_MARKERS =
  /(?<!Object)\.prototype\b|setPrototypeOf\(|\bA\.use\b|useApiEntries\(|bs58check|repo-internals|docSynchronizerClassOf/

/**
 * automerge-repo's type-only dev dependencies (`@types/debug`, `@types/uuid`) do not ship with
 * it: declared here, as loosely as the source uses them, so only automerge-repo's own code is
 * checked.
 */
const TYPE_SHIMS = `declare module "debug" {
  function debug(namespace: string): debug.Debugger
  namespace debug {
    interface Debugger {
      (...args: unknown[]): void
      extend(namespace: string): Debugger
    }
  }
  export = debug
}
declare module "uuid"
`

const scratch: string[] = []

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true })
})

/** The installed automerge-repo package directory (its exports map hides package.json). */
function automergeRepoDir(): string {
  let dir = dirname(createRequire(join(root, 'package.json')).resolve('@automerge/automerge-repo'))
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith('automerge-repo')) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('automerge-repo package directory not found')
    dir = parent
  }
  return dir
}

async function patchFiles(): Promise<string[]> {
  return (await readdir(PATCH_DIR)).filter((f) => f.endsWith('.patch')).sort()
}

/** A scratch copy of the package's shipped source and tests, as its own git work tree. */
async function sourceCopy(pkg: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tabsync-patches-'))
  scratch.push(dir)
  for (const part of ['src', 'test', 'tsconfig.json']) {
    await cp(join(pkg, part), join(dir, part), { recursive: true })
  }
  // Its own repository, so `git apply` takes paths from here wherever the scratch lives.
  await run('git', ['init', '-q'], { cwd: dir })
  return dir
}

async function gitApply(dir: string, patch: string, check: boolean): Promise<void> {
  const args = ['apply', ...(check ? ['--check'] : []), join(PATCH_DIR, patch)]
  await run('git', args, { cwd: dir })
}

/**
 * Makes `dir` resolve modules as the installed package does: the package's own nested
 * dependencies first, then the workspace's hoisted ones.
 */
async function linkDependencies(dir: string, pkg: string): Promise<void> {
  const hoisted = join(root, 'node_modules')
  const nested = join(pkg, 'node_modules')
  const modules = join(dir, 'node_modules')
  await mkdir(modules)
  const own = existsSync(nested) ? await readdir(nested) : []
  for (const name of own) await symlink(join(nested, name), join(modules, name))
  for (const name of await readdir(hoisted)) {
    if (!own.includes(name)) await symlink(join(hoisted, name), join(modules, name))
  }
}

/** Non-test TypeScript sources of every package, barrels (`index.ts`: re-exports only) aside. */
async function packageSources(): Promise<string[]> {
  const packages = join(root, 'packages')
  const files: string[] = []
  for (const pkg of await readdir(packages)) {
    const src = join(packages, pkg, 'src')
    if (!existsSync(src)) continue
    const entries = await readdir(src, { recursive: true, withFileTypes: true })
    for (const e of entries) {
      if (
        e.isFile() &&
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.test.ts') &&
        e.name !== 'index.ts'
      )
        files.push(join(e.parentPath, e.name))
    }
  }
  return files
}

/** Paths of files under patches/ (`.patch` or `.md`) that `text` names. */
function patchesNamed(text: string): string[] {
  return [...text.matchAll(/\bpatches\/[\w./-]*[\w-](?:\.patch|\.md)/g)].map((m) => m[0])
}

let pkg = ''
let pristine = ''

beforeAll(async () => {
  pkg = automergeRepoDir()
  pristine = await sourceCopy(pkg)
})

test('patches/automerge-repo holds at least one patch', async () => {
  expect(await patchFiles()).not.toEqual([])
})

test.each(await patchFiles())(
  '%s applies on its own to the installed automerge-repo source',
  async (patch) => {
    await expect(gitApply(pristine, patch, true)).resolves.toBeUndefined()
  },
)

test('the series applies in order and the patched source type-checks with the package tsconfig', async () => {
  const dir = await sourceCopy(pkg)
  for (const patch of await patchFiles()) await gitApply(dir, patch, false)
  await linkDependencies(dir, pkg)
  await writeFile(join(dir, 'type-shims.d.ts'), TYPE_SHIMS)
  const config = {
    extends: './tsconfig.json',
    compilerOptions: { noEmit: true },
    include: ['src/**/*.ts', 'type-shims.d.ts'],
  }
  await writeFile(join(dir, 'tsconfig.check.json'), JSON.stringify(config))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.check.json'], {
    cwd: dir,
  }).then(
    () => '',
    (err: { stdout?: string; message: string }) => err.stdout || err.message,
  )
  expect(result, 'tsc errors in the patched automerge-repo source').toBe('')
}, 300_000)

test('every source file that replaces part of automerge-repo or Automerge names its entry in patches/', async () => {
  const hooks: string[] = []
  for (const file of await packageSources()) {
    const text = await readFile(file, 'utf8')
    if (!HOOK_MARKERS.test(text)) continue
    hooks.push(file)
    const named = patchesNamed(text)
    const where = relative(root, file)
    expect(named, `${where} names no patch or patches/README.md`).not.toEqual([])
    for (const path of named) expect(existsSync(join(root, path)), `${where}: ${path}`).toBe(true)
  }
  // The protocol and relay hooks, at least: a marker that no longer matches must not pass unseen.
  expect(hooks.length).toBeGreaterThanOrEqual(10)
})

test('patches/README.md names every patch', async () => {
  const readme = await readFile(README, 'utf8')
  for (const patch of await patchFiles()) {
    expect(patchesNamed(readme), `patches/README.md does not name ${patch}`).toContain(
      `patches/automerge-repo/${patch}`,
    )
  }
})
