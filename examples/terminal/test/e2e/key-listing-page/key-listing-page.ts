// The page of key-listing.test.ts: automerge-repo's IndexedDB adapter in a real browser, and the
// summary cache's key listing (packages/sync/src/storage/key-listing.ts) run against it.
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import type { StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from '../../../../../packages/sync/src/log/logger.js'
import { listKeys } from '../../../../../packages/sync/src/storage/key-listing.js'

/** What the page found for one prefix: the listed keys and the keys `loadRange` returns. */
export interface ListingCase {
  readonly prefix: StorageKey
  readonly listed: string[]
  readonly loaded: string[]
}

declare global {
  interface Window {
    listingCases(keys: StorageKey[], prefixes: StorageKey[]): Promise<ListingResult>
  }
}

export interface ListingResult {
  readonly cases: ListingCase[]
  /** True when `listKeys` fell back to `loadRange` (it logs once when it does). */
  readonly fellBack: boolean
}

const asText = (keys: StorageKey[]) => keys.map((k) => k.join('/')).sort()

window.listingCases = async (keys, prefixes) => {
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
  return { cases, fellBack }
}
