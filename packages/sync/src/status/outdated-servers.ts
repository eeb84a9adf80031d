import type { EndpointStatus } from '../network/sync-link.js'

/** A hub or relay that lacks a feature the device's store uses (see {@link outdatedServers}). */
export interface OutdatedServer {
  readonly url: string
  /** The protocol's `ServerFeature` names the store uses and the server did not name. */
  readonly missing: readonly string[]
}

/**
 * The endpoints whose `/time` answer lacks one of `needed`. An older relay refuses what it does
 * not know (a `table-day` document), so what the device files there would stay on the device
 * without a word: the status says it instead. An endpoint that has not answered yet is not listed.
 */
export function outdatedServers(
  endpoints: readonly EndpointStatus[],
  needed: readonly string[],
): OutdatedServer[] {
  if (needed.length === 0) return []
  return endpoints.flatMap((e) => {
    if (!e.features) return []
    const missing = needed.filter((f) => !e.features!.includes(f))
    return missing.length > 0 ? [{ url: e.url, missing }] : []
  })
}
