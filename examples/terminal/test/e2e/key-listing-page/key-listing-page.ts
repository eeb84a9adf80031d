// The page of key-listing.test.ts: automerge-repo's IndexedDB adapter in a real browser, and the
// summary cache's key listing (packages/sync/src/storage/key-listing.ts) run against it.
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import type { StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from '../../../../../packages/sync/src/log/logger.js'
import { listDocumentKeys, listKeys } from '../../../../../packages/sync/src/storage/key-listing.js'

/** What the page found for one prefix: the listed keys and the keys `loadRange` returns. */
export interface ListingCase {
  readonly prefix: StorageKey
  readonly listed: string[]
  readonly loaded: string[]
}

declare global {
  interface Window {
    listingCases(
      keys: StorageKey[],
      prefixes: StorageKey[],
      documents: string[],
    ): Promise<ListingResult>
  }
}

export interface ListingResult {
  readonly cases: ListingCase[]
  /** `listDocumentKeys` of the documents, one case per document (prefix `[id]`). */
  readonly batched: ListingCase[]
  /** Transactions the batched listing opened. */
  readonly batchedTransactions: number
  /** True when a listing fell back to `loadRange` (it logs once when it does). */
  readonly fellBack: boolean
}

const asText = (keys: StorageKey[]) => keys.map((k) => k.join('/')).sort()

window.listingCases = async (keys, prefixes, documents) => {
  const storage = new IndexedDBStorageAdapter(`key-listing-${Date.now()}`)
  for (const key of keys) await storage.save(key, new TextEncoder().encode(key.join('/')))
  let fellBack = false
  const logger: Logger = {
    debug: () => undefined,
    info: () => {
      fellBack = true
    },
    warn: () => undefined,
    error: () => undefined,
  }
  const cases: ListingCase[] = []
  for (const prefix of prefixes) {
    const listed = await listKeys(storage, prefix, logger)
    const loaded = (await storage.loadRange(prefix)).map((c) => c.key)
    cases.push({ prefix, listed: asText(listed), loaded: asText(loaded) })
  }
  const batched: ListingCase[] = []
  // Counts the transactions of the adapter's database (the listing opens its own on it).
  const db = await (storage as unknown as { dbPromise: Promise<IDBDatabase> }).dbPromise
  const transaction = db.transaction.bind(db)
  let batchedTransactions = 0
  db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
    batchedTransactions++
    return transaction(...args)
  }) as IDBDatabase['transaction']
  const listedDocs = await listDocumentKeys(storage, documents, logger)
  db.transaction = transaction
  for (const id of documents) {
    const loaded = (await storage.loadRange([id])).map((c) => c.key)
    batched.push({ prefix: [id], listed: asText(listedDocs.get(id) ?? []), loaded: asText(loaded) })
  }
  return { cases, batched, batchedTransactions, fellBack }
}
