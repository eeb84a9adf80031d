// The Tabsync SyncPair (filled in once @tabsync/sync and @tabsync/relay land).
import type { SyncPair } from '../fixtures/sync-pair.js'

/** Two Tabsync devices through a Tabsync relay. */
export function tabsyncPair(_url: string, _secret: string): Promise<SyncPair> {
  return Promise.reject(new Error('@tabsync/sync is not available yet'))
}
