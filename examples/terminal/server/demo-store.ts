import type { AutomergeUrl, Repo } from '@automerge/automerge-repo'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { initStoreDoc, initTableDoc } from '@tabsync/core'

/**
 * Creates the demo store in a repo: table documents first (the store names their URLs), then
 * the store document. Returns the store URL. Used when @tabsync/sync's `createStore` is not
 * available; both write the same documents.
 */
export function createDemoStoreIn(repo: Repo, storeId: string, name?: string): AutomergeUrl {
  const urls = new Map<string, AutomergeUrl>()
  for (const t of DEMO_TABLES) urls.set(t.id, repo.create(initTableDoc(storeId, t.id)).url)
  const init = demoStoreInit(storeId, (id) => urls.get(id) ?? '')
  return repo.create(initStoreDoc(name ? { ...init, name } : init)).url
}
