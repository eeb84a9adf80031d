// The Tabsync cold device (filled in once @tabsync/sync lands).
import type { AutomergeUrl } from '@automerge/automerge-repo'

/** A new Tabsync device opening a store whose day is on the relay. */
export function tabsyncCold(_req: {
  url: string
  storeUrl: AutomergeUrl
  openUrls: readonly AutomergeUrl[]
  dir: string
}): Promise<Record<string, number>> {
  return Promise.reject(new Error('@tabsync/sync is not available yet'))
}
