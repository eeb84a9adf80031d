/*
 * Who this browser is and which store it belongs to. The device id and name are kept in
 * localStorage (each browser profile is its own device; `?device=` picks another id, for tests
 * and for several terminals in one profile). The pairing (store URL, token, endpoints) is fetched
 * from the demo server's `/pairing.json` and cached, so a reload with no network still opens
 * the store from local data.
 */
import type { AutomergeUrl } from '@automerge/automerge-repo'

export interface Pairing {
  readonly storeId: string
  readonly storeName: string
  readonly storeUrl: AutomergeUrl
  readonly token: string
  readonly endpoints: readonly string[]
  readonly timeUrl: string
  /** The print bridge's status for this store; absent from older pairings. */
  readonly printerStatusUrl?: string
  /**
   * A new device's first fetch (asked for only without a cached pairing, never cached): the
   * store's documents to get in one `POST /documents`, and how many of them are tables.
   */
  readonly starter?: {
    readonly ids: readonly string[]
    readonly tables: number
    /** The floor those documents show, by the server (shown as provisional; checked on read). */
    readonly floor?: unknown
  }
}

export interface Identity {
  readonly deviceId: string
  readonly deviceName: string
}

const DEVICE_KEY = 'tabsync.device'

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3))
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** This browser's device id and name (created on first start). */
export function identity(params = new URLSearchParams(location.search)): Identity {
  const fromUrl = params.get('device')
  if (fromUrl && /^[A-Za-z0-9_-]{1,64}$/.test(fromUrl)) {
    const name = params.get('name') ?? localStorage.getItem(`${DEVICE_KEY}.${fromUrl}.name`)
    return { deviceId: fromUrl, deviceName: name ?? titleOf(fromUrl) }
  }
  let deviceId = localStorage.getItem(DEVICE_KEY)
  if (!deviceId) {
    deviceId = `till-${randomId()}`
    localStorage.setItem(DEVICE_KEY, deviceId)
  }
  const name = localStorage.getItem(`${DEVICE_KEY}.${deviceId}.name`) ?? titleOf(deviceId)
  return { deviceId, deviceName: name }
}

/** Renames this device (shown in reports and on lines). */
export function rename(deviceId: string, name: string): void {
  localStorage.setItem(`${DEVICE_KEY}.${deviceId}.name`, name)
}

function titleOf(id: string): string {
  const m = /^till-(.+)$/.exec(id)
  return m ? `Till ${m[1]?.toUpperCase()}` : id
}

const absolute = (endpoint: string): string => {
  if (/^wss?:\/\//.test(endpoint)) return endpoint
  const u = new URL(endpoint, location.href)
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return u.toString()
}

function cached(deviceId: string): Pairing | undefined {
  const raw = localStorage.getItem(`tabsync.pairing.${deviceId}`)
  try {
    return raw ? (JSON.parse(raw) as Pairing) : undefined
  } catch {
    console.warn('tabsync: ignoring a cached pairing that is not JSON')
    return undefined
  }
}

/**
 * The pairing {@link pair} will open at once, without asking the server: the cached one, unless
 * `?store=` asks for another store (a device stays in the store it was paired with otherwise).
 */
export function cachedPairing(
  deviceId: string,
  params = new URLSearchParams(location.search),
): Pairing | undefined {
  const store = params.get('store')
  const pairing = cached(deviceId)
  return pairing && (!store || store === pairing.storeId) ? pairing : undefined
}

/**
 * The store this device is paired with: the cached pairing when there is one for this store
 * (refreshed in the background for the next start), else fresh from the server. Undefined when
 * neither exists (first start with no server).
 */
export async function pair(
  deviceId: string,
  params = new URLSearchParams(location.search),
): Promise<Pairing | undefined> {
  const cacheKey = `tabsync.pairing.${deviceId}`
  const now = cachedPairing(deviceId, params)
  if (now) {
    // Local first: the cached pairing opens the store now, online as fast as offline (waiting
    // for /pairing.json held the floor up to its 4 s deadline on a slow network). The fresh
    // pairing (a new token, moved endpoints) is saved for the next start.
    if (navigator.onLine) void fetchPairing(deviceId, now.storeId, cacheKey)
    return now
  }
  // No pairing here: a new device, which also asks for its starter list (see starter-bundle.ts).
  return (await fetchPairing(deviceId, params.get('store'), cacheKey, true)) ?? cached(deviceId)
}

/** Asks the demo server for the pairing and caches it; undefined when it cannot be had. */
async function fetchPairing(
  deviceId: string,
  store: string | null,
  cacheKey: string,
  starter = false,
): Promise<Pairing | undefined> {
  try {
    const q = new URLSearchParams({ device: deviceId })
    if (store) q.set('store', store)
    if (starter) q.set('starter', '1')
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), 4000)
    const res = await fetch(`/pairing.json?${q}`, { cache: 'no-store', signal: ctl.signal })
    clearTimeout(timer)
    if (!res.ok) throw new Error(`pairing: HTTP ${res.status}`)
    const body = (await res.json()) as Pairing
    const pairing: Pairing = {
      ...body,
      endpoints: body.endpoints.map(absolute),
      timeUrl: new URL(body.timeUrl, location.href).toString(),
    }
    // The starter list is for this start only: a later start reads its own storage.
    localStorage.setItem(
      cacheKey,
      JSON.stringify(pairing, (key, value: unknown) => (key === 'starter' ? undefined : value)),
    )
    return pairing
  } catch {
    return undefined
  }
}
