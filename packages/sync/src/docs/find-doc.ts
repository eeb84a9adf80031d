import type {
  AutomergeUrl,
  DocHandle,
  DocumentId,
  PeerId,
  Repo,
} from '@automerge/automerge-repo/slim'
import { backoffDelay, type BackoffOptions } from '../network/backoff.js'
import { SyncError, SyncErrorKind } from '../errors.js'

/** Options of {@link findDoc}. */
export interface FindDocOptions {
  /** Stops waiting (rejects with a `closed` SyncError). */
  readonly signal?: AbortSignal | undefined
  /** How long to wait between re-requests. Default: 250 ms growing to 10 s. */
  readonly backoff?: BackoffOptions | undefined
  readonly random?: (() => number) | undefined
  /** Give up after this many attempts with an `unavailable` SyncError. Default: never. */
  readonly maxAttempts?: number | undefined
}

const FIND_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000 }

/**
 * Finds a document and waits until it is ready, treating "unavailable" as not final: a find
 * made before any peer is connected reports unavailable (automerge-repo issue #155), yet the
 * document arrives as soon as a peer that has it connects. Between waits it asks connected peers
 * again, with backoff.
 */
export async function findDoc<T>(
  repo: Repo,
  url: AutomergeUrl | DocumentId,
  options: FindDocOptions = {},
): Promise<DocHandle<T>> {
  const { signal } = options
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new SyncError(SyncErrorKind.closed, 'the device was closed')
    const handle = await repo.find<T>(url, { allowableStates: ['ready', 'unavailable'] })
    if (handle.isReady()) return handle
    if (options.maxAttempts !== undefined && attempt + 1 >= options.maxAttempts) {
      throw new SyncError(SyncErrorKind.unavailable, `document ${url} is not available`, { url })
    }
    const delay = backoffDelay(attempt, options.backoff ?? FIND_BACKOFF, options.random)
    if (await waitReady(handle, delay, signal)) return handle
    rerequest(repo, handle.documentId)
  }
}

/** Waits up to `ms` for the handle to become ready; false on timeout. */
async function waitReady(
  handle: DocHandle<unknown>,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), ms)
  const onAbort = () => ac.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await handle.whenReady(['ready'], { signal: ac.signal })
    return true
  } catch {
    return false
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Asks every connected peer for the document again. automerge-repo only requests a document when
 * it is first looked up or when a peer connects; a peer that got it later (a hub that just
 * received it from the relay) is asked again here. Uses the synchronizer's public fields.
 */
function rerequest(repo: Repo, documentId: DocumentId): void {
  const sync = (
    repo.synchronizer as unknown as {
      docSynchronizers?: Record<string, { beginSync(peers: PeerId[]): Promise<void> } | undefined>
    }
  ).docSynchronizers?.[documentId]
  if (sync && repo.peers.length > 0) void sync.beginSync(repo.peers).catch(() => undefined)
}
