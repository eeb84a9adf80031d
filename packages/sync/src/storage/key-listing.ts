import type * as NodeFsSync from 'node:fs'
import type { Dirent } from 'node:fs'
import type * as NodeFs from 'node:fs/promises'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from '../log/logger.js'

/*
 * The keys under a prefix without their bytes. automerge-repo's storage interface has only
 * `loadRange`, which returns every value too; the summary cache checks the chunk names of every
 * order of a day at a report (2,000 of them), so where the adapter allows it the names are read
 * alone, and those of many documents in one pass (`listDocumentKeys`):
 * - an adapter (or wrapper) with its own `listKeys(prefix)` / `listDocumentKeys(ids)` (this
 *   package's memory storage, the device's closable storage and repo chunks);
 * - automerge-repo's file adapter (`baseDirectory`, `getFilePath`, `cachedKeys`, `cache`): the
 *   folder walk its `loadRange` does, without reading the files, plus the keys it holds in
 *   memory; for many documents, their folders walked synchronously in slices and its memory
 *   read once (not once per document: it keeps every key it ever saved);
 * - automerge-repo's IndexedDB adapter (`dbPromise`, `store`): `getAllKeys` on the key range
 *   its `loadRange` reads; for many documents, one such request per document in one transaction.
 * Shapes are probed at run time; any other adapter (or a changed one) gets `loadRange`, and
 * that is logged once.
 */

/** An adapter that lists keys itself. */
export interface KeyListing {
  /** `logger` hears of a fallback to `loadRange` in a wrapped adapter. */
  listKeys(prefix: StorageKey, logger?: Logger): Promise<StorageKey[]>
}

/** An adapter that lists the keys of many documents itself, in one pass. */
export interface DocumentKeyListing {
  /** For each of `ids`, every key under `[id]` (any order; an empty list when none). */
  listDocumentKeys(ids: readonly string[], logger?: Logger): Promise<Map<string, StorageKey[]>>
}

interface NodeFsShape {
  readonly baseDirectory: string
  getFilePath(key: StorageKey): string
  cachedKeys(prefix: StorageKey): string[]
}

/** The file adapter's memory of what it saved: `path.join(...key)` to bytes. */
interface NodeFsCacheShape extends NodeFsShape {
  readonly cache: Record<string, unknown>
}

interface IndexedDbShape {
  readonly dbPromise: Promise<IDBDatabase>
  readonly store: string
}

/** Documents whose folders the file adapter's batched listing reads between two yields. */
const NODE_FS_SLICE = 256

let fallbackLogged = false

/** The keys stored under `prefix` (any order). */
export async function listKeys(
  storage: StorageAdapterInterface,
  prefix: StorageKey,
  logger?: Logger,
): Promise<StorageKey[]> {
  const s = storage as unknown as Record<string, unknown>
  if (typeof s['listKeys'] === 'function')
    return (storage as unknown as KeyListing).listKeys(prefix, logger)
  if (isNodeFs(s)) return listNodeFs(storage as unknown as NodeFsShape, prefix)
  if (isIndexedDb(s)) return listIndexedDb(storage as unknown as IndexedDbShape, prefix)
  fellBack(logger)
  return (await storage.loadRange(prefix)).map((c) => c.key)
}

/**
 * For each of `ids` (document ids), every key stored under `[id]`: what `loadRange([id])` would
 * name, listed for all of them in one pass where the adapter allows it (see the file comment),
 * else one listing per document.
 */
export async function listDocumentKeys(
  storage: StorageAdapterInterface,
  ids: readonly string[],
  logger?: Logger,
): Promise<Map<string, StorageKey[]>> {
  const s = storage as unknown as Record<string, unknown>
  if (typeof s['listDocumentKeys'] === 'function')
    return (storage as unknown as DocumentKeyListing).listDocumentKeys(ids, logger)
  if (typeof s['listKeys'] !== 'function') {
    if (isNodeFs(s) && typeof s['cache'] === 'object' && s['cache'] !== null)
      return listNodeFsDocuments(storage as unknown as NodeFsCacheShape, ids)
    if (isIndexedDb(s)) return listIndexedDbDocuments(storage as unknown as IndexedDbShape, ids)
  }
  const lists = await Promise.all(ids.map((id) => listKeys(storage, [id], logger)))
  return new Map(ids.map((id, i) => [id, lists[i]!]))
}

/**
 * The keys of each of `ids` among `keys` (all of an adapter's or more), by their first part:
 * the batched listing of a memory adapter.
 */
export function keysByDocument(
  ids: readonly string[],
  keys: Iterable<StorageKey>,
): Map<string, StorageKey[]> {
  const out = new Map(ids.map((id) => [id, [] as StorageKey[]]))
  for (const key of keys) if (key[0] !== undefined) out.get(key[0])?.push(key)
  return out
}

function isNodeFs(s: Record<string, unknown>): boolean {
  return (
    typeof s['baseDirectory'] === 'string' &&
    typeof s['getFilePath'] === 'function' &&
    typeof s['cachedKeys'] === 'function'
  )
}

function isIndexedDb(s: Record<string, unknown>): boolean {
  return s['dbPromise'] instanceof Promise && typeof s['store'] === 'string'
}

function fellBack(logger: Logger | undefined): void {
  // Told once to a logger (a wrapper's own call without one does not count).
  if (fallbackLogged || !logger) return
  fallbackLogged = true
  logger?.info({}, 'storage adapter lists no keys: unsupported, its values are read instead')
}

async function nodeFs(): Promise<typeof NodeFs> {
  // A variable specifier keeps browser bundlers away (this shape exists only in Node).
  const specifier = 'node:fs/promises'
  return (await import(/* @vite-ignore */ specifier)) as typeof NodeFs
}

/** Adds to `out` every file under `dir` (the folder of `key`), by key; none when it is absent. */
async function walkFolder(
  fs: typeof NodeFs,
  dir: string,
  key: StorageKey,
  out: Map<string, StorageKey>,
): Promise<void> {
  let entries: Dirent[]
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return
    throw err
  }
  const dirs: Promise<void>[] = []
  for (const e of entries) {
    if (e.isDirectory()) dirs.push(walkFolder(fs, `${dir}/${e.name}`, [...key, e.name], out))
    else out.set([...key, e.name].join('/'), [...key, e.name])
  }
  await Promise.all(dirs)
}

/** The file adapter's cache key (`path.join(...key)`; no key part holds a separator) split back. */
function cacheKeyParts(k: string): StorageKey {
  return k.split(/[\\/]/)
}

async function listNodeFs(adapter: NodeFsShape, prefix: StorageKey): Promise<StorageKey[]> {
  const out = new Map<string, StorageKey>()
  await walkFolder(await nodeFs(), adapter.getFilePath(prefix), prefix, out)
  // Saved in this process, possibly not yet on disk (the adapter's own loadRange counts them).
  for (const k of adapter.cachedKeys(prefix)) {
    const parts = cacheKeyParts(k)
    out.set(parts.join('/'), parts)
  }
  return [...out.values()]
}

async function listNodeFsDocuments(
  adapter: NodeFsCacheShape,
  ids: readonly string[],
): Promise<Map<string, StorageKey[]>> {
  // A variable specifier keeps browser bundlers away (this shape exists only in Node).
  const specifier = 'node:fs'
  const fs = (await import(/* @vite-ignore */ specifier)) as typeof NodeFsSync
  const found = new Map(ids.map((id) => [id, new Map<string, StorageKey>()]))
  // Read synchronously, a slice of documents at a time, yielding between slices: half the CPU
  // of the same walk through promises (2,000 documents: about 60 against 110 ms, measured),
  // and the event loop is held a few milliseconds at a time only.
  for (let i = 0; i < ids.length; i += NODE_FS_SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve))
    for (const id of ids.slice(i, i + NODE_FS_SLICE)) {
      walkFolderSync(fs, adapter.getFilePath([id]), [id], found.get(id)!)
    }
  }
  // The adapter's memory, read once: by the document (the key's first part), exactly.
  for (const k of Object.keys(adapter.cache)) {
    const parts = cacheKeyParts(k)
    found.get(parts[0]!)?.set(parts.join('/'), parts)
  }
  return new Map([...found].map(([id, keys]) => [id, [...keys.values()]]))
}

/** {@link walkFolder}, synchronously. */
function walkFolderSync(
  fs: typeof NodeFsSync,
  dir: string,
  key: StorageKey,
  out: Map<string, StorageKey>,
): void {
  let entries: Dirent[]
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return
    throw err
  }
  for (const e of entries) {
    if (e.isDirectory()) walkFolderSync(fs, `${dir}/${e.name}`, [...key, e.name], out)
    else out.set([...key, e.name].join('/'), [...key, e.name])
  }
}

/** The key range automerge-repo's IndexedDB adapter reads for `prefix`. */
function prefixRange(prefix: StorageKey): IDBKeyRange {
  return IDBKeyRange.bound(prefix, [...prefix, '\uffff'])
}

async function listIndexedDb(adapter: IndexedDbShape, prefix: StorageKey): Promise<StorageKey[]> {
  const db = await adapter.dbPromise
  const request = db
    .transaction(adapter.store)
    .objectStore(adapter.store)
    .getAllKeys(prefixRange(prefix))
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result as unknown as StorageKey[])
    request.onerror = () => reject(request.error)
  })
}

async function listIndexedDbDocuments(
  adapter: IndexedDbShape,
  ids: readonly string[],
): Promise<Map<string, StorageKey[]>> {
  const out = new Map(ids.map((id) => [id, [] as StorageKey[]]))
  if (ids.length === 0) return out
  const db = await adapter.dbPromise
  const transaction = db.transaction(adapter.store)
  const store = transaction.objectStore(adapter.store)
  // One request per document (its own range: the day's documents are scattered over the
  // store's ids, among every other day's), all in one transaction: no transaction per document.
  for (const id of ids) {
    const request = store.getAllKeys(prefixRange([id]))
    request.onsuccess = () => out.set(id, request.result as unknown as StorageKey[])
  }
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(out)
    transaction.onerror = () => reject(transaction.error ?? new Error('key listing failed'))
    transaction.onabort = () => reject(transaction.error ?? new Error('key listing aborted'))
  })
}
