/*
 * A new device's first fetch, made by the start chunk (no Automerge here): the documents its
 * pairing lists (store, tables, the recent days' orders, open checks first) in one
 * `POST /documents` to the relay, while the app's code and Automerge's wasm are still loading.
 * Before, the app asked for the store once it was running, then for the tables once the store was
 * open, then for the orders once the tables were: three round trips after the slowest download
 * (issue 15). The bytes stay as they came (a bundle, core's format); the app decodes them and puts
 * them in storage (seed-storage.ts) before it opens the device.
 */
import type { Pairing } from './pairing.js'

/** The relay's bulk path, on the http(s) origin of the sync endpoint. */
const DOCUMENTS_PATH = '/documents'
/** As sync's catch-up: a black-holed network must not hold the start; the normal path remains. */
const TIMEOUT_MS = 15_000

/** The http(s) URL of `/documents` next to a `ws(s)://…/sync` endpoint. */
export function documentsUrl(endpoint: string): string {
  const u = new URL(endpoint)
  u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol
  return `${u.origin}${DOCUMENTS_PATH}`
}

/**
 * The bundle of the pairing's starter documents, or undefined when there is no starter list or
 * the relay cannot be had (then the app fetches the usual way, and says so on screen). The token
 * travels as a Bearer header, never in the URL.
 */
export async function fetchStarterBundle(pairing: Pairing): Promise<Uint8Array | undefined> {
  const endpoint = pairing.endpoints[0]
  const ids = pairing.starter?.ids ?? []
  if (!endpoint || ids.length === 0) return undefined
  try {
    const res = await fetch(documentsUrl(endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${pairing.token}` },
      body: JSON.stringify({ ids }),
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    return new Uint8Array(await res.arrayBuffer())
  } catch (e) {
    console.warn(`tabsync: the starter documents could not be fetched (${String(e)})`)
    return undefined
  }
}
