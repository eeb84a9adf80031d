// The peer: the stock automerge-repo path. A plain Repo relay with no auth (what
// automerge-repo-sync-server runs: NodeFS storage, a WebSocket server adapter, no generous
// sharing) and plain Repo clients with the stock WebSocket client adapter.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Repo, type AnyDocumentId, type DocHandle, type PeerId } from '@automerge/automerge-repo'
import {
  WebSocketClientAdapter,
  WebSocketServerAdapter,
} from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { WebSocketServer } from 'ws'
import { setSyncThrottle } from '@tabsync/sync'

/** A running stock relay. */
export interface StockRelay {
  readonly repo: Repo
  readonly port: number
  close(): Promise<void>
}

/**
 * automerge-repo's per-document sync throttle for the stock path: its own 100 ms unless the
 * runner asks for another (the "stock no-throttle" peer), set as Tabsync sets it
 * (`setSyncThrottle`, a run-time hook); nothing else of the stock path is changed.
 */
function withStockThrottle(repo: Repo): Repo {
  const ms = Number(process.env['TABSYNC_BENCH_SYNC_THROTTLE_MS'] ?? '100')
  if (ms !== 100) setSyncThrottle(repo, ms)
  return repo
}

/** Starts a stock relay on a loopback port (0 = any), storing documents under `directory`. */
export async function startStockRelay(directory: string, port = 0): Promise<StockRelay> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('stock automerge-repo relay\n')
  })
  const wss = new WebSocketServer({ server })
  const repo = withStockThrottle(
    new Repo({
      // ws's own types and the adapter's copy of them differ only under exactOptionalPropertyTypes.
      network: [
        new WebSocketServerAdapter(
          wss as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0],
        ),
      ],
      storage: new NodeFSStorageAdapter(directory),
      peerId: `relay-${process.pid}` as PeerId,
      // As automerge-repo-sync-server: serve what peers ask for, announce nothing.
      sharePolicy: async () => false,
    }),
  )
  // The server adapter listens for connections only once the storage id is loaded.
  await repo.storageId()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    repo,
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const c of wss.clients) c.terminate()
      await repo.shutdown().catch(() => {})
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A stock client: a plain Repo with the stock WebSocket client adapter (and optional storage). */
export function stockClient(url: string, peerId: string, directory?: string): Repo {
  return withStockThrottle(
    new Repo({
      network: [new WebSocketClientAdapter(url)],
      peerId: peerId as PeerId,
      ...(directory ? { storage: new NodeFSStorageAdapter(directory) } : {}),
    }),
  )
}

/** Resolves when `repo` has at least one peer (the relay) connected. */
export function whenConnected(repo: Repo, timeoutMs = 10_000): Promise<void> {
  if (repo.peers.length > 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no peer connected')), timeoutMs)
    const onPeer = () => {
      clearTimeout(timer)
      repo.networkSubsystem.off('peer', onPeer)
      resolve()
    }
    repo.networkSubsystem.on('peer', onPeer)
  })
}

/**
 * Finds a document that may not have reached the relay yet: "unavailable" is not final in
 * automerge-repo 2.5 (the handle becomes ready when the data arrives), so wait for ready.
 */
export async function findReady<T>(
  repo: Repo,
  id: AnyDocumentId,
  timeoutMs = 20_000,
): Promise<DocHandle<T>> {
  const handle = await repo.find<T>(id, { allowableStates: ['ready', 'unavailable', 'requesting'] })
  if (handle.isReady()) return handle
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${String(id)} not ready after ${timeoutMs} ms`)),
      timeoutMs,
    )
    handle.whenReady().then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
  return handle
}
