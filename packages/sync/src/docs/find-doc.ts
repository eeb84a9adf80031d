import type {
  AutomergeUrl,
  DocHandle,
  DocumentId,
  PeerId,
  Repo,
} from '@automerge/automerge-repo/slim'
import { backoffDelay, type BackoffOptions } from '@tabsync/protocol'
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
  /**
   * Give up after this long (ms) with an `unavailable` SyncError: a document a relay refuses
   * looks exactly like one no peer has yet ("unavailable"), so without a deadline the caller
   * waits forever. Default: never.
   */
  readonly timeoutMs?: number | undefined
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
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new SyncError(SyncErrorKind.closed, 'the device was closed')
    const handle = await repo.find<T>(url, { allowableStates: ['ready', 'unavailable'] })
    if (hasContent(handle)) return handle
    const left = deadline - Date.now()
    if ((options.maxAttempts !== undefined && attempt + 1 >= options.maxAttempts) || left <= 0) {
      throw new SyncError(
        SyncErrorKind.unavailable,
        `document ${url} is not available from this device or any connected peer` +
          (left <= 0
            ? ` after ${options.timeoutMs} ms: it may not exist yet, belong to another store, or be refused`
            : ''),
        { url },
      )
    }
    const delay = Math.min(
      backoffDelay(attempt, options.backoff ?? FIND_BACKOFF, options.random),
      left,
    )
    if (await waitReady(handle, delay, signal)) return handle
    rerequest(repo, handle.documentId)
  }
}

/**
 * Ready with at least one change. Every Tabsync document is created with content, so a ready
 * handle without heads is a document whose content has not arrived (automerge-repo marks a
 * document loaded from an empty snapshot ready): keep waiting for it.
 */
function hasContent(handle: DocHandle<unknown>): boolean {
  return handle.isReady() && handle.heads().length > 0
}

/** Waits up to `ms` for the handle to be ready with content; false on timeout. */
async function waitReady(
  handle: DocHandle<unknown>,
  ms: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (hasContent(handle)) return true
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      clearInterval(poll)
      handle.off('heads-changed', onHeads)
      signal?.removeEventListener('abort', onAbort)
      resolve(ok)
    }
    // heads-changed fires before the handle's state becomes ready: check on the next tick.
    const onHeads = () => void Promise.resolve().then(() => hasContent(handle) && done(true))
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(hasContent(handle)), ms)
    const poll = setInterval(() => hasContent(handle) && done(true), Math.max(25, ms / 10))
    handle.on('heads-changed', onHeads)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
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
