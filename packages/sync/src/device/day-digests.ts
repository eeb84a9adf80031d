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

/** Options of {@link dayDigests}. */
export interface DayDigestsOptions {
  /** Only what is stored here: nothing fetched, no find that waits for a peer. */
  readonly localOnly?: boolean
  /**
   * The floor first: called once, before the promise resolves, with the digests of the loaded
   * orders and of the checks the day's table-days hint open or do not hint (the floor's open
   * checks, read without checking the day's closed ones). The promise then resolves with the
   * whole day, the checks hinted closed included: a wrong hint (a close merged with a line
   * added elsewhere) delays a check to the whole day, never hides it.
   */
  readonly onFirst?: (first: DayDigests) => void
}

/** What {@link dayDigests} needs of the device. */
export interface DigestHost {
  readonly repo: Repo
  readonly cache: SummaryCache
  readonly logger: Logger
  /**
   * The day's references in opening order (open-first.ts: those hinted closed at the end, the
   * last `closed` of them), the tables not stored here, and the references only the tables
   * of the previous version hold (`later`).
   */
  refsOfDay(
    date: string,
    localOnly: boolean,
  ): Promise<{
    refs: OrderRef[]
    closed: number
    missingTables: string[]
    later: () => Promise<OrderRef[]>
  }>
  /** Documents among `ids` stored (or loaded) here. */
  present(ids: readonly DocumentId[]): Promise<DocumentId[]>
  /** Brings the documents among `ids` that are not here into storage, in bulk, in that order. */
  fetch(ids: readonly DocumentId[]): Promise<unknown>
  /** Opens an order document (a few attempts; rejects when it cannot be had). */
  openOrder(url: AutomergeUrl): Promise<DocHandle<OrderDoc>>
}

/** Digests found so far, and what was missing, opened and served by the cache. */
interface Found {
  readonly entries: DigestEntry[]
  readonly missing: OrderRef[]
  opened: number
  fromCache: number
}

/**
 * The digests of a day's orders, opening as few documents as it can: a loaded document gives
 * its digest from memory (at its current heads, so unsaved changes count), a stored one whose
 * cache entry is valid for its chunks gives the entry, and only the others are opened (fetched
 * in bulk first unless `localOnly`). With `onFirst`, the checks the tables do not hint closed
 * come first (see {@link DayDigestsOptions}).
 */
export async function dayDigests(
  host: DigestHost,
  date: string,
  { localOnly = false, onFirst }: DayDigestsOptions = {},
): Promise<DayDigests> {
  // The day's stored entries are read while the tables are.
  host.cache.prepare(date)
  const { refs, closed, missingTables, later } = await host.refsOfDay(date, localOnly)
  const found: Found = { entries: [], missing: [], opened: 0, fromCache: 0 }
  const result = (): DayDigests => ({
    orders: sortedUnique(found.entries),
    missing: [...found.missing],
    missingTables,
    opened: found.opened,
    fromCache: found.fromCache,
  })
  if (!onFirst) {
    await digestsOf(host, found, [...refs, ...(await later())], date, localOnly)
    return result()
  }
  // The legacy tables are read while the first step is.
  const legacy = later()
  const split = refs.length - closed
  // Every loaded order is in the first step: a digest from memory costs nothing.
  const [first, rest] = partition(refs, (ref, i) => i < split || isLoaded(host, ref))
  await digestsOf(host, found, first, date, localOnly)
  onFirst(result())
  await digestsOf(host, found, [...rest, ...(await legacy)], date, localOnly)
  return result()
}

/** Adds to `found` the digests of `refs`: from memory, the cache, or the opened document. */
async function digestsOf(
  host: DigestHost,
  found: Found,
  refs: readonly OrderRef[],
  date: string,
  localOnly: boolean,
): Promise<void> {
  const closed: { ref: OrderRef; id: DocumentId }[] = []
  for (const ref of refs) {
    const id = documentIdOf(ref.url)
    if (!id) {
      found.missing.push(ref)
      continue
    }
    const handle = host.repo.handles[id] as DocHandle<OrderDoc> | undefined
    if (handle?.isReady())
      found.entries.push({ url: handle.url, digest: host.cache.fromHandle(handle) })
    else closed.push({ ref, id })
  }
  const cached = await host.cache.fromStorage(
    closed.map((c) => c.id),
    date,
  )
  found.fromCache += cached.size
  const toOpen = closed.filter((c) => {
    const digest = cached.get(c.id)
    if (digest) found.entries.push({ url: c.ref.url as AutomergeUrl, digest })
    return !digest
  })
  let candidates = toOpen
  if (localOnly) {
    const here = new Set(await host.present(toOpen.map((c) => c.id)))
    candidates = toOpen.filter((c) => here.has(c.id) || (found.missing.push(c.ref), false))
  } else if (toOpen.length > 0) {
    await host.fetch(toOpen.map((c) => c.id))
  }
  await Promise.all(
    candidates.map(async ({ ref }) => {
      try {
        const handle = await host.openOrder(ref.url as AutomergeUrl)
        found.opened++
        found.entries.push({ url: handle.url, digest: host.cache.fromHandle(handle) })
      } catch (err) {
        host.logger.debug({ err, url: ref.url }, 'order of the day not available')
        found.missing.push(ref)
      }
    }),
  )
}

/** The entries by opening time, each order once. */
function sortedUnique(entries: readonly DigestEntry[]): DigestEntry[] {
  const seen = new Set<string>()
  return [...entries]
    .sort((a, b) =>
      a.digest.openedAt < b.digest.openedAt ? -1 : a.digest.openedAt > b.digest.openedAt ? 1 : 0,
    )
    .filter((e) => !seen.has(e.digest.orderId) && seen.add(e.digest.orderId))
}

function partition<T>(items: readonly T[], test: (item: T, i: number) => boolean): [T[], T[]] {
  const yes: T[] = []
  const no: T[] = []
  items.forEach((item, i) => (test(item, i) ? yes : no).push(item))
  return [yes, no]
}

function isLoaded(host: DigestHost, ref: OrderRef): boolean {
  const id = documentIdOf(ref.url)
  return id !== undefined && host.repo.handles[id]?.isReady() === true
}

function documentIdOf(url: string): DocumentId | undefined {
  try {
    return parseAutomergeUrl(url as AutomergeUrl).documentId
  } catch {
    return undefined
  }
}
