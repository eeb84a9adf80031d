/*
 * The sync side of the demo server: a @tabsync/relay on embedded defaults (its own port on
 * 127.0.0.1; the demo server proxies `/sync` to it so browsers see one origin), stores created
 * by a back-office @tabsync/sync device, device tokens from the relay's `issueToken`, and a
 * @tabsync/printer bridge on fake printers (one per printer of the store).
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { businessDate, initStoreDoc, initTableDoc } from '@tabsync/core'
import {
  createPrintBridge,
  createDeviceSource,
  startFakePrinter,
  type BridgeStatus,
  type FakePrinter,
  type PrintBridge,
} from '@tabsync/printer'
import {
  issueToken,
  loadOrCreateSecret,
  startRelay,
  verifyToken,
  type RunningRelay,
} from '@tabsync/relay'
import { openDevice, type Device } from '@tabsync/sync'
import { createStoreBoundDoc } from '@tabsync/sync/internal'

export interface SyncBackend {
  readonly kind: 'relay'
  readonly relay: RunningRelay
  /** What the demo lacks, in words for the start banner (empty when complete). */
  readonly missing: readonly string[]
  /** Fake printers by store id, then printer id, once a store prints. */
  readonly printers: ReadonlyMap<string, ReadonlyMap<string, FakePrinter>>
  createStore(storeId: string, name: string): Promise<AutomergeUrl>
  /** Starts the print bridge of a store (after `createStore` or with a known URL). */
  startPrinting(storeId: string, storeUrl: AutomergeUrl): Promise<void>
  issueToken(deviceId: string, storeId: string): Promise<string>
  /**
   * The print bridge's own status for a device of the store (token checked), undefined when
   * the store's bridge is not running: terminals show printers from this, never assume them.
   */
  printerStatus(storeId: string, token: string | undefined): Promise<BridgeStatus | undefined>
  /** Stops a store's print bridge (tests: a dead bridge). */
  stopPrinting(storeId: string): Promise<void>
  /** Proxies `/sync` (WebSocket upgrade) to the relay. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Proxies plain HTTP `/sync` (the browser's token probe) to the relay. */
  handleHttp(req: IncomingMessage, res: ServerResponse): void
  close(): Promise<void>
}

async function until(device: Device, ok: () => boolean, what: string, timeoutMs = 20_000) {
  const start = Date.now()
  while (!ok()) {
    if (Date.now() - start > timeoutMs) throw new Error(`demo server: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function startSyncBackend(options: {
  dataDir: string
  log: (line: string) => void
  /** Receipts from the fake printers (the start script prints them). */
  onReceipt?: (printerId: string, text: string) => void
}): Promise<SyncBackend> {
  const { secret } = await loadOrCreateSecret(options.dataDir)
  const relay = await startRelay({
    port: 0,
    host: '127.0.0.1',
    dataDir: join(options.dataDir, 'relay'),
    secret,
    logLevel: process.env.TABSYNC_DEMO_RELAY_LOG === 'warn' ? 'warn' : 'error',
  })
  const devices: Device[] = []
  const bridges = new Map<string, PrintBridge>()
  const printers = new Map<string, Map<string, FakePrinter>>()

  const backofficeDevice = async (
    storeId: string,
    role: 'backoffice' | 'printer',
    storeUrl?: AutomergeUrl,
  ) => {
    const deviceId = `${role === 'printer' ? 'printer' : 'office'}-${storeId}`
    const device = await openDevice({
      deviceId,
      token: await issueToken({ secret, deviceId, storeIds: [storeId], role, ttl: '3650d' }),
      endpoints: [{ url: relay.syncUrl, kind: 'relay' }],
      storage: { directory: join(options.dataDir, deviceId) },
      ...(storeUrl ? { storeUrl } : {}),
    })
    devices.push(device)
    return device
  }

  return {
    kind: 'relay',
    relay,
    missing: [],
    printers,
    async createStore(storeId, name) {
      const office = await backofficeDevice(storeId, 'backoffice')
      await until(office, () => office.status().state === 'online', 'the relay is not reachable')
      // One document at a time, each owned by the store before the next. The same documents as
      // @tabsync/sync's createStore (table documents first, then the store, ids bound to the
      // store), but a burst of 19 new documents left some unconfirmed in the full browser run
      // (see README).
      const introduce = async <T>(init: T): Promise<AutomergeUrl> => {
        const handle = await createStoreBoundDoc<T>(office.repo, storeId, init)
        await office.repo.flush([handle.documentId])
        await until(
          office,
          () => relay.registry.peek(handle.documentId)?.state === 'owned',
          `the relay did not take document ${handle.documentId}`,
        )
        return handle.url
      }
      const urls = new Map<string, AutomergeUrl>()
      for (const t of DEMO_TABLES) urls.set(t.id, await introduce(initTableDoc(storeId, t.id)))
      const init = demoStoreInit(storeId, (id) => urls.get(id) ?? '')
      // On table-days from today; the first terminal to load the day retires the tables.
      const tableDaysFrom = businessDate(Date.now(), init)
      return introduce(initStoreDoc({ ...init, name, tableDaysFrom }))
    },
    async startPrinting(storeId, storeUrl) {
      const device = await backofficeDevice(storeId, 'printer', storeUrl)
      const source = createDeviceSource(device)
      const configs = []
      const fakes = new Map<string, FakePrinter>()
      printers.set(storeId, fakes)
      for (const id of ['kitchen-printer', 'bar-printer']) {
        const fake = await startFakePrinter({
          onReceipt: (r) => options.onReceipt?.(id, r.text),
        })
        fakes.set(id, fake)
        configs.push({ id, url: fake.url })
      }
      bridges.set(
        storeId,
        createPrintBridge({
          source,
          dataDir: join(options.dataDir, `bridge-${storeId}`),
          printers: configs,
          retry: { initialMs: 200, maxMs: 2000 },
        }),
      )
    },
    async printerStatus(storeId, token) {
      const claims = await verifyToken(token, secret)
      if (!claims.storeIds.includes(storeId)) throw new Error('token of another store')
      return bridges.get(storeId)?.status()
    },
    async stopPrinting(storeId) {
      await bridges.get(storeId)?.stop()
      bridges.delete(storeId)
    },
    async issueToken(deviceId, storeId) {
      return issueToken({ secret, deviceId, storeIds: [storeId], role: 'terminal', ttl: '30d' })
    },
    handleUpgrade(req, socket, head) {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/sync') {
        socket.destroy()
        return
      }
      // Pass the upgrade through byte for byte: the relay authenticates it.
      const upstream = connect(relay.port, '127.0.0.1', () => {
        const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`]
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
        upstream.write(lines.join('\r\n') + '\r\n\r\n')
        if (head.length > 0) upstream.write(head)
        socket.pipe(upstream).pipe(socket)
      })
      const end = () => {
        upstream.destroy()
        socket.destroy()
      }
      upstream.on('error', end)
      socket.on('error', end)
      socket.on('close', end)
      upstream.on('close', end)
    },
    handleHttp(req, res) {
      const proxied = request(
        {
          host: '127.0.0.1',
          port: relay.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      proxied.on('error', () => res.writeHead(502).end())
      req.pipe(proxied)
    },
    async close() {
      for (const b of bridges.values()) await b.stop().catch(() => undefined)
      for (const d of devices) await d.close().catch(() => undefined)
      for (const fakes of printers.values())
        for (const p of fakes.values()) await p.close().catch(() => undefined)
      await relay.close()
    },
  }
}
