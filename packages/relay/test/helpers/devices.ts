import {
  Repo,
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type PeerId,
} from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import type { DeviceRole } from '@tabsync/core'
import { issueToken } from '../../src/auth/token.js'
import { FileStorageAdapter } from '../../src/storage/file-storage-adapter.js'
import { TEST_SECRET } from './relay-process.js'

/** The documents of these tests: a root `kind` and `storeId`, and lines keyed by id. A terminal
 *  may only write orders and tables (the relay enforces rights per role), so they are orders. */
export interface TestDoc {
  kind: string
  storeId: string
  lines: Record<string, { item: string; by: string }>
}

/**
 * A device as the tests use it: a plain automerge-repo Repo with the stock websocket client. That
 * client can only put its token in the URL: relays these devices use need `allowQueryToken`.
 */
export interface TestDevice {
  readonly repo: Repo
  readonly deviceId: string
  close(): Promise<void>
}

/** Token for a terminal of `storeId`, signed with the test secret. */
export function tokenFor(
  deviceId: string,
  storeIds: string | string[],
  role: DeviceRole = 'terminal',
): Promise<string> {
  return issueToken({
    secret: TEST_SECRET,
    deviceId,
    storeIds: Array.isArray(storeIds) ? storeIds : [storeIds],
    role,
  })
}

/**
 * Opens a device (peer id = device id) on `syncUrl`. Storage: a directory (persisted), or none.
 * The client adapter retries every second (reconnects after a relay restart stay quick).
 */
export async function openDevice(
  syncUrl: string,
  deviceId: string,
  storeIds: string | string[],
  storageDir?: string,
  role: DeviceRole = 'terminal',
): Promise<TestDevice> {
  const token = await tokenFor(deviceId, storeIds, role)
  // Retry every second: the stock adapter's retry timer opens a *new* socket even while the
  // previous one is still connecting, so on a loaded machine a short interval makes it join twice;
  // the relay then replaces (4010) the socket a request was just sent on, and the stock client
  // never notices (it detached that socket's listeners) and waits for its 60 s handle timeout.
  const adapter = new WebSocketClientAdapter(`${syncUrl}?token=${token}`, 1000)
  // The stock adapter detaches its 'error' listener from a socket it replaces or closes while
  // that socket is still connecting; a relay stopping meanwhile answers it 503, and `ws` then
  // throws the error as uncaught. Every socket it opens keeps a listener of its own here.
  const connect = adapter.connect.bind(adapter)
  adapter.connect = (peerId, peerMetadata) => {
    connect(peerId, peerMetadata)
    ;(adapter.socket as unknown as { on?: (e: string, f: () => void) => void } | undefined)?.on?.(
      'error',
      () => {},
    )
  }
  const repo = new Repo({
    peerId: deviceId as PeerId,
    network: [adapter],
    ...(storageDir ? { storage: new FileStorageAdapter(storageDir) } : {}),
  })
  let closed: Promise<void> | undefined
  return {
    repo,
    deviceId,
    // Idempotent; the stock client adapter asserts when disconnected twice.
    close: () =>
      (closed ??= (async () => {
        await repo.flush().catch(() => {})
        try {
          await repo.shutdown()
        } catch {
          // not-ready handles (failed finds): nothing left to save
        }
      })()),
  }
}

/** Polls `check` until it returns true (no wall-clock assertion: the test timeout bounds it). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  intervalMs = 25,
): Promise<void> {
  const started = Date.now()
  let warned = false
  for (;;) {
    if (await check()) return
    if (!warned && Date.now() - started > 5_000) {
      warned = true
      console.warn(`still waiting for ${what}`)
    }
    if (Date.now() - started > 30_000) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** Finds a document, retrying while it is unavailable (a find before the socket is up fails). */
export async function findEventually(
  repo: Repo,
  url: AutomergeUrl,
  what = 'document',
): Promise<DocHandle<TestDoc>> {
  let handle: DocHandle<TestDoc> | undefined
  await until(() => repo.peers.length > 0, `${what}: device connected`)
  await until(
    async () => {
      try {
        handle = await repo.find<TestDoc>(url)
        return true
      } catch {
        // Unavailable is not final (e.g. the relay had not received it yet): drop the cached
        // unavailable handle and its synchronizer so the next find asks the relay again.
        const id = url.replace('automerge:', '') as DocumentId
        delete (repo.handles as Record<string, unknown>)[id]
        repo.synchronizer.removeDocument(id)
        return false
      }
    },
    what,
    100,
  )
  return handle!
}

/** Number of lines of a handle's document. */
export function lineCount(handle: DocHandle<TestDoc>): number {
  return Object.keys(handle.doc().lines).length
}
