import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { Logger } from '../log.js'

/** Ids of the handles that are ready (the only ones `repo.flush` can save). */
export function readyDocumentIds(repo: Repo): DocumentId[] {
  return Object.values(repo.handles)
    .filter((h) => h.isReady())
    .map((h) => h.documentId)
}

/**
 * Saves every ready document, then shuts the repo down. `repo.shutdown()` flushes *all* cached
 * handles and rejects as soon as one is not ready (a failed or pending find), which would skip
 * saving the others: so flush the ready ones first and tolerate shutdown's rejection.
 */
export async function flushAndShutdown(repo: Repo, log: Logger): Promise<void> {
  const ids = readyDocumentIds(repo)
  try {
    await repo.flush(ids)
  } catch (err) {
    log.error({ err }, 'flush on shutdown failed')
  }
  try {
    await repo.shutdown()
  } catch (err) {
    log.debug({ err }, 'repo shutdown reported not-ready handles (already flushed the ready ones)')
  }
  log.info({ documents: ids.length }, 'flushed documents')
}
