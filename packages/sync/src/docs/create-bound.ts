import * as A from '@automerge/automerge'
import {
  interpretAsDocumentId,
  type BinaryDocumentId,
  type DocHandle,
  type Repo,
} from '@automerge/automerge-repo'
import { storeBoundIdBytes } from '@tabsync/core/internal'

/**
 * Creates a document whose id is bound to `storeId` (core's `storeBoundIdBytes`), so the relay
 * can verify on first sight that it belongs to that store and no other store can claim it.
 * `repo.create` picks a random id; this builds the same initial document and hands it to the repo
 * under the derived id (`repo.import` with `docId`, the only way automerge-repo 2.5.6 takes a
 * chosen id), then marks it loaded as `create` does. Save it with `repo.flush` as usual: import
 * registers the save listener after the content is set, so only the flush writes the first bytes.
 */
export async function createStoreBoundDoc<T>(
  repo: Repo,
  storeId: string,
  init: T,
): Promise<DocHandle<T>> {
  const documentId = interpretAsDocumentId((await storeBoundIdBytes(storeId)) as BinaryDocumentId)
  const handle = repo.import<T>(A.save(A.from(init as Record<string, unknown>)), {
    docId: documentId,
  })
  handle.doneLoading()
  return handle
}
