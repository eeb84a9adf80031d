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
