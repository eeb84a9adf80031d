/*
 * `npm start`: builds the terminal when its sources are newer than the build, starts the demo
 * server (sync, pairing, static files) and prints how to open one or more devices.
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemoServer } from './demo-server.js'
import { isBuildStale } from './stale-build.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')

if (process.env.TABSYNC_SKIP_BUILD !== '1' && isBuildStale(root)) {
  console.log('Building the terminal (vite build)...')
  const r = spawnSync('npx', ['vite', 'build'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

const port = Number(process.env.PORT ?? 5173)
const server = await startDemoServer({
  port,
  host: process.env.HOST ?? '0.0.0.0',
  distDir: dist,
  dataDir: join(root, '.tabsync'),
  stores: [{ storeId: 'demo-bistro', name: 'Tabsync Bistro' }],
  log: (line) => console.log(line),
  onReceipt: (printerId, text) =>
    console.log(`\n--- fake printer ${printerId} ---\n${text.trim()}\n---------------------------`),
})

const url = `http://localhost:${server.port}`
console.log(`
Tabsync terminal demo is running.

  Open            ${url}
  Second device   open the same URL in another browser profile or a private window,
                  or ${url}/?device=till-2 (each device id is its own terminal)
  Store           demo-bistro (${server.stores['demo-bistro']})
  Sync            @tabsync/relay on ${server.backend.relay.syncUrl}, proxied at ${url.replace('http', 'ws')}/sync
  Printers        ${[...(server.backend.printers.get('demo-bistro') ?? [])].map(([id, p]) => `${id} -> fake printer ${p.url}`).join(', ')}
                  (tickets they receive are printed below)

DEMO ONLY: /pairing.json hands the store URL and a fresh device token to anyone who asks.
Data is kept in ${join(root, '.tabsync')} (delete it to start over). Ctrl+C to stop.
`)

const stop = () => {
  void server.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
