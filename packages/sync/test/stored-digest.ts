// The digest of a document as stored: its chunks loaded as automerge-repo loads them
// (snapshots first), then core's derivation. What a served summary must equal.
import * as A from '@automerge/automerge'
import type { DocumentId, StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { digestOrder, summarizeOrder, type OrderDigest, type OrderDoc } from '@tabsync/core'

/** The document stored under `id` (undefined when it has no content chunk). */
export async function storedOrder(
  storage: StorageAdapterInterface,
  id: DocumentId,
): Promise<A.Doc<OrderDoc> | undefined> {
  const chunks = await storage.loadRange([id])
  const parts = [
    ...chunks.filter((c) => c.key[1] === 'snapshot'),
    ...chunks.filter((c) => c.key[1] === 'incremental'),
  ].flatMap((c) => (c.data ? [c.data] : []))
  if (parts.length === 0) return undefined
  let doc = A.init<OrderDoc>()
  for (const bytes of parts) doc = A.loadIncremental(doc, bytes)
  return doc
}

/** Core's digest of the document stored under `id`. */
export async function storedDigest(
  storage: StorageAdapterInterface,
  id: DocumentId,
): Promise<OrderDigest | undefined> {
  const doc = await storedOrder(storage, id)
  return doc ? digestOrder(summarizeOrder(doc)) : undefined
}
