/*
 * The sync side of the demo server. Today: a plain automerge-repo sync server (no auth, no store
 * scoping) on the same HTTP port at /sync. When @tabsync/relay lands this file is the one place
 * that switches to its `startRelay` + `issueToken`.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Repo, type AutomergeUrl, type PeerId } from '@automerge/automerge-repo'
import { NodeWSServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { WebSocketServer } from 'ws'
import { createDemoStoreIn } from './demo-store.js'

export interface SyncBackend {
  /** 'repo' (plain automerge-repo server) or 'relay' (@tabsync/relay). */
  readonly kind: 'repo' | 'relay'
  /** Absolute WebSocket endpoint when the sync server has its own port; else undefined (/sync). */
  readonly endpoint: string | undefined
  /** What the demo does not have yet, in words for the start banner. */
  readonly missing: readonly string[]
  createStore(storeId: string, name: string): Promise<AutomergeUrl>
  issueToken(deviceId: string, storeId: string): Promise<string>
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  close(): Promise<void>
}

export async function startSyncBackend(options: {
  dataDir: string
  log: (line: string) => void
}): Promise<SyncBackend> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  const adapter = new NodeWSServerAdapter(wss)
  const repo = new Repo({
    peerId: `demo-server-${process.pid}` as PeerId,
    network: [adapter],
    storage: new NodeFSStorageAdapter(options.dataDir),
    sharePolicy: async () => true,
  })
  // The server adapter only listens once the repo knows its storage id.
  await repo.storageId()
  await new Promise((r) => setTimeout(r, 50))
  return {
    kind: 'repo',
    endpoint: undefined,
    missing: [
      'store-scoped token auth (@tabsync/relay not available: plain automerge-repo sync server)',
    ],
    async createStore(storeId, name) {
      const url = createDemoStoreIn(repo, storeId, name)
      await repo.flush()
      return url
    },
    async issueToken(deviceId, storeId) {
      return `unsigned-demo.${deviceId}.${storeId}`
    },
    handleUpgrade(req, socket, head) {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path !== '/sync') {
        socket.destroy()
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
    },
    async close() {
      for (const client of wss.clients) client.terminate()
      wss.close()
      try {
        await repo.flush()
        await repo.shutdown()
      } catch (e) {
        options.log(`sync shutdown: ${String(e)}`)
      }
    },
  }
}
