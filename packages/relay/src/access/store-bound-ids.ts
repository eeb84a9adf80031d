import { documentIdToBinary, type DocumentId } from '@automerge/automerge-repo'
import { isIdOfStore, isStoreBoundId } from '@tabsync/core/internal'

/**
 * Whether a principal of `storeIds` may bring content for `documentId`, judged from the id alone
 * (core's store-bound ids): a bound id only admits the store it was derived for. Ids without the
 * store-bound tag (automerge-repo's random ids: existing data, older devices) admit anyone, and
 * the ownership rules decide (first authenticated introducer of content).
 */
export async function idAdmits(documentId: string, storeIds: readonly string[]): Promise<boolean> {
  const bytes = documentIdToBinary(documentId as DocumentId)
  if (!bytes || !isStoreBoundId(bytes)) return true
  for (const storeId of storeIds) if (await isIdOfStore(bytes, storeId)) return true
  return false
}

/** Answers cached before the cache is cleared (each is a few dozen bytes). */
const ADMISSION_CACHE = 10_000

/**
 * {@link idAdmits} with its answers kept: the answer for an id and a store never changes, and
 * computing it takes a SHA-256 through WebCrypto, which Node runs on its thread pool (behind any
 * file writes there) for every frame with changes, on the live path before the repo sees it.
 */
export class IdAdmission {
  readonly #answers = new Map<string, boolean>()

  async admits(documentId: string, storeIds: readonly string[]): Promise<boolean> {
    const key = `${documentId}\u0000${storeIds.join('\u0000')}`
    const known = this.#answers.get(key)
    if (known !== undefined) return known
    const answer = await idAdmits(documentId, storeIds)
    if (this.#answers.size >= ADMISSION_CACHE) this.#answers.clear()
    this.#answers.set(key, answer)
    return answer
  }
}
