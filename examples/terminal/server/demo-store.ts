import type { AutomergeUrl, Repo } from '@automerge/automerge-repo'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { businessDate, initStoreDoc, initTableDoc } from '@tabsync/core'
import { retireTable } from '@tabsync/core/internal'

/**
 * Creates the demo store in a repo: table documents first (the store names their URLs), then
 * the store document, on table-days from today (the tables retired). Returns the store URL. Used
 * when @tabsync/sync's `createStore` is not available; both write the same documents.
 */
export function createDemoStoreIn(repo: Repo, storeId: string, name?: string): AutomergeUrl {
  const urls = new Map<string, AutomergeUrl>()
  for (const t of DEMO_TABLES) {
    const table = repo.create(initTableDoc(storeId, t.id))
    table.update((d) => retireTable(d))
    urls.set(t.id, table.url)
  }
  const init = demoStoreInit(storeId, (id) => urls.get(id) ?? '')
  const tableDaysFrom = businessDate(Date.now(), init)
  return repo.create(initStoreDoc({ ...init, ...(name ? { name } : {}), tableDaysFrom })).url
}
