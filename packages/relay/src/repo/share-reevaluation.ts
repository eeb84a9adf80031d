import type { Repo } from '@automerge/automerge-repo'

/** What {@link coalescedShareReevaluation} uses of a Repo. */
export type ShareReevaluating = {
  readonly synchronizer: Pick<Repo['synchronizer'], 'reevaluateDocumentShare'>
}

/**
 * Re-checks which peers sync which documents after the ownership of a document changed, one
 * pass at a time: the returned function asks for a pass; asks that arrive while one runs share
 * the next. automerge-repo's only way to do this (`shareConfigChanged`) walks every loaded
 * document for every peer, and the relay asks once per document that settles, so an upload of N
 * new documents cost N walks over up to N documents (20 s of a 2,037-document upload's profile,
 * issue 15). A settled document now waits at most for the pass in flight and its own.
 */
export function coalescedShareReevaluation(
  repo: ShareReevaluating,
  onError: (err: unknown) => void,
): () => void {
  let running = false
  let again = false
  const run = async () => {
    running = true
    try {
      do {
        again = false
        await repo.synchronizer.reevaluateDocumentShare()
      } while (again)
    } catch (err) {
      onError(err)
    } finally {
      running = false
    }
  }
  return () => {
    if (running) again = true
    else void run()
  }
}
