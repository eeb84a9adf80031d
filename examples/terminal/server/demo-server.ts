/*
 * The demo's one server: serves the built terminal, `/pairing.json` (the store URL and a fresh
 * device token: DEMO ONLY, anyone who can reach it is paired), `/time` for the clock handshake,
 * and the sync endpoint `/sync` (proxied to a @tabsync/relay) with the demo stores, each with a
 * @tabsync/printer bridge on fake printers.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { redactSecrets } from '@tabsync/sync'
import { starterDocuments, type StarterDocuments } from './starter-documents.js'
import { serveStatic } from './static-files.js'
import { startSyncBackend, type SyncBackend } from './sync-backend.js'

/** A store the demo serves. */
export interface DemoStoreSpec {
  readonly storeId: string
  readonly name?: string
}

export interface DemoServerOptions {
  /** 0 for any free port (tests). */
  readonly port: number
  readonly host?: string
  /** Built terminal (vite's `dist`). */
  readonly distDir: string
  /** Where the sync server keeps documents and the store list. */
  readonly dataDir: string
  /** Stores to serve; the first is the default for `/pairing.json`. */
  readonly stores?: readonly DemoStoreSpec[]
  /** Log lines (default: none). */
  readonly log?: (line: string) => void
  /** Every ticket a fake printer receives (the start script prints them). */
  readonly onReceipt?: (printerId: string, text: string) => void
}

export interface DemoServer {
  /** e.g. `http://127.0.0.1:5173` */
  readonly url: string
  readonly port: number
  readonly stores: Readonly<Record<string, AutomergeUrl>>
  readonly backend: SyncBackend
  close(): Promise<void>
}

/** What `/pairing.json` answers. */
export interface Pairing {
  readonly storeId: string
  readonly storeName: string
  readonly storeUrl: AutomergeUrl
  readonly token: string
  /** Sync endpoints; relative ones (`/sync`) are resolved against the page. */
  readonly endpoints: readonly string[]
  readonly timeUrl: string
  /** The print bridge's status for this store (GET with the token as a Bearer header). */
  readonly printerStatusUrl: string
  /**
   * Asked for with `&starter=1` (a device with nothing stored): what to fetch in one
   * `POST /documents` before drawing the floor (see starter-documents.ts).
   */
  readonly starter?: StarterDocuments
  readonly demo: true
}

const DEFAULT_STORES: DemoStoreSpec[] = [{ storeId: 'demo-bistro' }]

/** Starts the demo server; resolves when it listens and the stores exist. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  // Demo lines may quote requests and errors: never let a device token through.
  const write = options.log ?? (() => {})
  const log = (line: string) => write(redactSecrets(line))
  await mkdir(options.dataDir, { recursive: true })
  const specs = options.stores ?? DEFAULT_STORES
  const backend = await startSyncBackend({
    dataDir: join(options.dataDir, 'sync'),
    log,
    ...(options.onReceipt ? { onReceipt: options.onReceipt } : {}),
  })

  // Keep store URLs across restarts: devices remember theirs.
  const listFile = join(options.dataDir, 'stores.json')
  const known = JSON.parse(await readFile(listFile, 'utf8').catch(() => '{}')) as Record<
    string,
    { url: AutomergeUrl; name: string }
  >
  for (const spec of specs) {
    if (known[spec.storeId]) continue
    const name = spec.name ?? 'Tabsync Bistro'
    known[spec.storeId] = { url: await backend.createStore(spec.storeId, name), name }
  }
  await writeFile(listFile, JSON.stringify(known, null, 2))
  for (const spec of specs) {
    const store = known[spec.storeId]
    if (store) await backend.startPrinting(spec.storeId, store.url)
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true }))
      return
    }
    // The relay's own endpoints, proxied: its clock (the protocol's /time shape), readiness and
    // Prometheus metrics answer here too.
    if (['/sync', '/documents', '/time', '/readyz', '/metrics'].includes(url.pathname)) {
      backend.handleHttp(req, res)
      return
    }
    if (url.pathname === '/printers/status') {
      const storeId = url.searchParams.get('store') ?? ''
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      backend.printerStatus(storeId, token).then(
        (status) => {
          // 503: no bridge runs for the store; terminals say "printers unreachable".
          res.writeHead(status ? 200 : 503, {
            'content-type': 'application/json',
            'cache-control': 'no-store',
          })
          res.end(JSON.stringify(status ?? { error: 'no print bridge running' }))
        },
        () => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"token"}'),
      )
      return
    }
    if (url.pathname === '/pairing.json') {
      const storeId = url.searchParams.get('store') ?? specs[0]?.storeId ?? ''
      const deviceId = url.searchParams.get('device') ?? ''
      const store = known[storeId]
      if (!store || !/^[A-Za-z0-9_-]{1,64}$/.test(deviceId)) {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'unknown store or malformed device id' }))
        return
      }
      const starter =
        url.searchParams.get('starter') === '1'
          ? starterDocuments(backend.relay.repo, store.url).catch((e: unknown) => {
              log(`pairing: no starter list for ${storeId}: ${String(e)}`)
              return undefined
            })
          : Promise.resolve(undefined)
      void Promise.all([backend.issueToken(deviceId, storeId), starter]).then(([token, list]) => {
        const body: Pairing = {
          storeId,
          storeName: store.name,
          storeUrl: store.url,
          token,
          endpoints: ['/sync'],
          timeUrl: '/time',
          printerStatusUrl: `/printers/status?store=${encodeURIComponent(storeId)}`,
          ...(list ? { starter: list } : {}),
          demo: true,
        }
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(JSON.stringify(body))
      })
      return
    }
    serveStatic(options.distDir, req, res).catch((e: unknown) => {
      log(`static: ${String(e)}`)
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    backend.handleUpgrade(req, socket, head)
  })
  await new Promise<void>((resolve) =>
    server.listen(options.port, options.host ?? '127.0.0.1', resolve),
  )
  const port = (server.address() as AddressInfo).port
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'
  return {
    url: `http://${host}:${port}`,
    port,
    stores: Object.fromEntries(Object.entries(known).map(([id, s]) => [id, s.url])),
    backend,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await backend.close()
    },
  }
}
