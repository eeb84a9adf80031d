import type { AutomergeUrl, DocHandle, DocumentId, Repo } from '@automerge/automerge-repo/slim'
import { parseAutomergeUrl } from '@automerge/automerge-repo/slim'
import type { OrderDigest, OrderDoc, OrderRef } from '@tabsync/core'
import type { Logger } from '../log/logger.js'
import type { SummaryCache } from './summary-cache.js'

/** An order of the day with its digest (see core's `digestOrder`). */
export interface DigestEntry {
  readonly url: AutomergeUrl
  readonly digest: OrderDigest
}

/** The digests of a business day's orders (see {@link Device.dayDigests}). */
export interface DayDigests {
  /** Sorted by opening time. */
  readonly orders: DigestEntry[]
  /** Orders the tables list for the day that are neither here nor obtainable now. */
  readonly missing: readonly OrderRef[]
  /** Tables whose document is not on this device (only a `localOnly` read leaves them out). */
  readonly missingTables: readonly string[]
  /** Order documents this call had to open (not loaded, no valid cache entry). */
  readonly opened: number
  /** Orders served by a stored cache entry, without opening their document. */
  readonly fromCache: number
}

/** What {@link dayDigests} needs of the device. */
export interface DigestHost {
  readonly repo: Repo
  readonly cache: SummaryCache
  readonly logger: Logger
  /** The day's references in opening order (open checks first), and tables not stored here. */
  refsOfDay(
    date: string,
    localOnly: boolean,
  ): Promise<{ refs: OrderRef[]; first: number; missingTables: string[] }>
  /** Documents among `ids` stored (or loaded) here. */
  present(ids: readonly DocumentId[]): Promise<DocumentId[]>
  /** Brings the documents among `ids` that are not here into storage, in bulk, in that order. */
  fetch(ids: readonly DocumentId[]): Promise<unknown>
  /** Opens an order document (a few attempts; rejects when it cannot be had). */
  openOrder(url: AutomergeUrl): Promise<DocHandle<OrderDoc>>
}

/**
 * The digests of a day's orders, opening as few documents as it can: a loaded document gives
 * its digest from memory (at its current heads, so unsaved changes count), a stored one whose
 * cache entry is valid for its chunks gives the entry, and only the others are opened (fetched
 * in bulk first unless `localOnly`).
 */
export async function dayDigests(
  host: DigestHost,
  date: string,
  { localOnly = false }: { localOnly?: boolean } = {},
): Promise<DayDigests> {
  // The day's stored entries are read while the tables are.
  host.cache.prepare(date)
  const { refs, missingTables } = await host.refsOfDay(date, localOnly)
  const missing: OrderRef[] = []
  const found: DigestEntry[] = []
  const closed: { ref: OrderRef; id: DocumentId }[] = []
  for (const ref of refs) {
    const id = documentIdOf(ref.url)
    if (!id) {
      missing.push(ref)
      continue
    }
    const handle = host.repo.handles[id] as DocHandle<OrderDoc> | undefined
    if (handle?.isReady()) found.push({ url: handle.url, digest: host.cache.fromHandle(handle) })
    else closed.push({ ref, id })
  }
  const cached = await host.cache.fromStorage(
    closed.map((c) => c.id),
    date,
  )
  const toOpen = closed.filter((c) => {
    const digest = cached.get(c.id)
    if (digest) found.push({ url: c.ref.url as AutomergeUrl, digest })
    return !digest
  })
  let candidates = toOpen
  if (localOnly) {
    const here = new Set(await host.present(toOpen.map((c) => c.id)))
    candidates = toOpen.filter((c) => here.has(c.id) || (missing.push(c.ref), false))
  } else if (toOpen.length > 0) {
    await host.fetch(toOpen.map((c) => c.id))
  }
  let opened = 0
  await Promise.all(
    candidates.map(async ({ ref }) => {
      try {
        const handle = await host.openOrder(ref.url as AutomergeUrl)
        opened++
        found.push({ url: handle.url, digest: host.cache.fromHandle(handle) })
      } catch (err) {
        host.logger.debug({ err, url: ref.url }, 'order of the day not available')
        missing.push(ref)
      }
    }),
  )
  const seen = new Set<string>()
  const orders = found
    .sort((a, b) =>
      a.digest.openedAt < b.digest.openedAt ? -1 : a.digest.openedAt > b.digest.openedAt ? 1 : 0,
    )
    .filter((e) => !seen.has(e.digest.orderId) && seen.add(e.digest.orderId))
  return { orders, missing, missingTables, opened, fromCache: cached.size }
}

function documentIdOf(url: string): DocumentId | undefined {
  try {
    return parseAutomergeUrl(url as AutomergeUrl).documentId
  } catch {
    return undefined
  }
}
