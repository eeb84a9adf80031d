// The Tabsync reconnect scenario (filled in once @tabsync/sync lands).
import type { Day } from '../fixtures/day.js'

/** A Tabsync device offline for a service reconnects; others follow. */
export function tabsyncReconnect(_relayUrl: string, _service: Day): Promise<Record<string, number>> {
  return Promise.reject(new Error('@tabsync/sync is not available yet'))
}
