/*
 * The packages as an application gets them: `npm pack` of core, protocol, sync, relay, printer and svelte, the
 * tarballs installed into a scratch project outside this workspace with plain `npm install` (no
 * workspace links, no patch step, the registry through npm's cache), the README's embedding block
 * type-checked and run there against the packed `tabsync-relay` CLI, and a burst of taps on one
 * order counted in sync messages: each tap must leave in its own message, which automerge-repo's
 * stock 100 ms throttle would not allow (it merges taps that come faster than that).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = ['core', 'protocol', 'sync', 'relay', 'printer', 'svelte'] as const
const secret = 'packed-packages-secret-0123456789abcdef'
const TAPS = 8

let scratch = ''
let relay: ChildProcess | undefined

afterAll(async () => {
  relay?.kill('SIGTERM')
  if (scratch) await rm(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
})

/** The README's `## Embedding` code block, split into its imports and its statements. */
async function readmeExample(): Promise<{ imports: string; body: string }> {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Embedding')))?.[1]
  if (!block) throw new Error('README has no ts block under ## Embedding')
  const lines = block.split('\n')
  return {
    imports: lines.filter((l) => l.startsWith('import ')).join('\n'),
    body: lines.filter((l) => !l.startsWith('import ')).join('\n'),
  }
}

/** The consumer program: setup, the README block as written, then a burst of taps. */
function program(example: { imports: string; body: string }): string {
  return `import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { syncThrottleOf, type Device, type SyncStatus } from '@tabsync/sync'
// The Svelte binding's types resolve from its package (its runes run in a Svelte app only).
import type { Reactive } from '@tabsync/svelte'
${example.imports}

function env(name: string): string {
  const value = process.env[name]
  if (value === undefined) throw new Error(\`\${name} is not set\`)
  return value
}

/** Resolves once the relay holds everything the device wrote. */
function synced(device: Device): Promise<void> {
  return new Promise((resolve) => {
    const check = (s: SyncStatus) => {
      if (s.state !== 'offline' && s.unsynced === 0) {
        off()
        resolve()
      }
    }
    const off = device.onStatus(check)
    check(device.status())
  })
}

// Where the README's storeUrl, token, endpoints and storage come from: the relay's URL, a store
// the back office created once, a token the relay's CLI issued, a directory of this process.
const endpoints = [env('SYNC_URL')]
const office = await openDevice({
  deviceId: 'office',
  storage: 'memory',
  endpoints,
  token: env('OFFICE_TOKEN'),
})
const { storeUrl } = await office.createStore({
  ...demoStoreInit('bistro', () => ''),
  tables: [...DEMO_TABLES],
})
await synced(office)
await office.close()
const token = env('TILL_TOKEN')
const storage = { directory: env('TILL_DIR') }

${example.body}
// The burst: taps on one order, each awaited (saved), counted in sync messages sent for it.
const documentId = url.slice('automerge:'.length)
let syncMessages = 0
till.repo.synchronizer.on('message', (m) => {
  if (m.type === 'sync' && m.documentId === documentId) syncMessages += 1
})
for (let i = 0; i < ${TAPS}; i++) {
  await till.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'burger', modifiers: medium }))
}
await new Promise((resolve) => setTimeout(resolve, 50))
console.log(
  JSON.stringify({
    total: totals.total,
    status: status.status,
    taps: ${TAPS},
    syncMessages,
    throttleMs: syncThrottleOf(till.repo, documentId),
  }),
)
const statusView: Pick<Reactive<SyncStatus>, 'current'> = { current: till.status() }
void statusView
await till.close()
`
}

/** Starts the packed relay CLI and resolves with its listening line. */
async function startPackedRelay(bin: string, data: string): Promise<{ syncUrl: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data', data], {
    env: { ...process.env, TABSYNC_SECRET: secret, TABSYNC_RELAY_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  relay = child
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`relay exited (${code}):\n${stderr}`)))
  })
  expect(stderr).toContain('starting')
  return JSON.parse(line) as { syncUrl: string }
}

test('the packed packages install with plain npm install; the README example type-checks and runs there, and taps are not held by a 100 ms throttle', async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tabsync-consumer-'))
  // Build (incremental) then pack what `npm publish` would upload.
  await run('npm', ['run', 'build'], { cwd: root })
  const packed = await run(
    'npm',
    [
      'pack',
      '--ignore-scripts',
      '--json',
      '--pack-destination',
      scratch,
      ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`]),
    ],
    { cwd: root },
  )
  const tarballs = (JSON.parse(packed.stdout) as { name: string; filename: string }[]).map((t) => ({
    name: t.name,
    file: `file:./${t.filename}`,
  }))
  expect(tarballs.map((t) => t.name).sort()).toEqual(PACKAGES.map((p) => `@tabsync/${p}`).sort())
  const { version } = JSON.parse(
    await readFile(join(root, 'packages/relay/package.json'), 'utf8'),
  ) as { version: string }
  const rootPkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>
  }
  const deps = Object.fromEntries(tarballs.map((t) => [t.name, t.file]))
  await writeFile(
    join(scratch, 'package.json'),
    JSON.stringify({
      name: 'tabsync-consumer',
      private: true,
      type: 'module',
      dependencies: deps,
      // The tarballs depend on each other by version: point those at the tarballs too.
      overrides: deps,
      // Types of Node for the consumer's own code; the compiler is the workspace's (it is not what
      // is under test, and installing it would double the install time).
      devDependencies: { '@types/node': rootPkg.devDependencies['@types/node'] },
    }),
  )
  await writeFile(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        lib: ['ES2023', 'DOM'],
        types: ['node'],
        outDir: 'out',
        // As most applications: checking every dependency's .d.ts doubles the time (checked by
        // hand: the packed .d.ts also pass with skipLibCheck false).
        skipLibCheck: true,
      },
      files: ['main.ts'],
    }),
  )
  await writeFile(join(scratch, 'main.ts'), program(await readmeExample()))
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: scratch })

  // Stock automerge-repo, as the registry serves it: no patch applied anywhere.
  expect(existsSync(join(scratch, 'patches'))).toBe(false)
  const repoJs = await readFile(
    join(scratch, 'node_modules/@automerge/automerge-repo/dist/Repo.js'),
    'utf8',
  )
  expect(repoJs).not.toContain('syncDebounceRate')

  // The CLIs are the built JavaScript, with --help and --version.
  const bin = (name: string) => join(scratch, 'node_modules', '.bin', name)
  const clis = ['tabsync-relay', 'tabsync-printer', 'tabsync-fake-printer'].map(async (name) => {
    expect((await run(bin(name), ['--version'])).stdout.trim()).toBe(version)
    expect((await run(bin(name), ['--help'])).stdout).toContain(name)
  })
  const serveHelp = run(bin('tabsync-relay'), ['serve', '--help'])
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const typecheck = run(process.execPath, [tsc, '-p', '.'], { cwd: scratch })
  await Promise.all([...clis, typecheck])
  expect((await serveHelp).stdout).toContain('tabsync-relay serve')

  const relayBin = join(scratch, 'node_modules/@tabsync/relay/dist/cli-main.js')
  const { syncUrl } = await startPackedRelay(relayBin, join(scratch, 'relay-data'))
  const token = async (device: string, role: string) =>
    (
      await run(
        bin('tabsync-relay'),
        ['token', '--store', 'bistro', '--device', device, '--role', role],
        { env: { ...process.env, TABSYNC_SECRET: secret } },
      )
    ).stdout.trim()
  const { stdout } = await run(process.execPath, [join(scratch, 'out', 'main.js')], {
    cwd: scratch,
    env: {
      ...process.env,
      SYNC_URL: syncUrl,
      OFFICE_TOKEN: await token('office', 'backoffice'),
      TILL_TOKEN: await token('till-1', 'terminal'),
      TILL_DIR: join(scratch, 'till-1'),
    },
  })
  // The README block logs statuses too: the result is the one JSON line.
  const line = stdout.split('\n').find((l) => l.startsWith('{"total"'))
  const result = JSON.parse(line ?? '{}') as {
    total: number
    status: string
    taps: number
    syncMessages: number
    throttleMs: number
  }
  expect(result).toMatchObject({ total: 1690, status: 'fired', throttleMs: 0 })
  // Every tap in its own message: a 100 ms throttle would merge taps saved faster than that.
  expect(result.syncMessages).toBeGreaterThanOrEqual(result.taps)
}, 170_000)
