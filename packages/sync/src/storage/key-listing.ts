import type { Dirent } from 'node:fs'
import type * as NodeFs from 'node:fs/promises'
import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import type { Logger } from '../log/logger.js'

/*
 * The keys under a prefix without their bytes. automerge-repo's storage interface has only
 * `loadRange`, which returns every value too; the summary cache lists each order's chunk names
 * at a report (2,000 of them), so where the adapter allows it the names are read alone:
 * - an adapter (or wrapper) with its own `listKeys(prefix)` (this package's memory storage, the
 *   device's closable storage);
 * - automerge-repo's file adapter (`baseDirectory`, `getFilePath`, `cachedKeys`): the folder
 *   walk its `loadRange` does, without reading the files, plus the keys it holds in memory;
 * - automerge-repo's IndexedDB adapter (`dbPromise`, `store`): `getAllKeys` on the key range
 *   its `loadRange` reads.
 * Shapes are probed at run time; any other adapter (or a changed one) gets `loadRange`, and
 * that is logged once.
 */

/** An adapter that lists keys itself. */
export interface KeyListing {
  listKeys(prefix: StorageKey): Promise<StorageKey[]>
}

interface NodeFsShape {
  readonly baseDirectory: string
  getFilePath(key: StorageKey): string
  cachedKeys(prefix: StorageKey): string[]
}

interface IndexedDbShape {
  readonly dbPromise: Promise<IDBDatabase>
  readonly store: string
}

let fallbackLogged = false

/** The keys stored under `prefix` (any order). */
export async function listKeys(
  storage: StorageAdapterInterface,
  prefix: StorageKey,
  logger?: Logger,
): Promise<StorageKey[]> {
  const s = storage as unknown as Record<string, unknown>
  if (typeof s['listKeys'] === 'function')
    return (storage as unknown as KeyListing).listKeys(prefix)
  if (
    typeof s['baseDirectory'] === 'string' &&
    typeof s['getFilePath'] === 'function' &&
    typeof s['cachedKeys'] === 'function'
  ) {
    return listNodeFs(storage as unknown as NodeFsShape, prefix)
  }
  if (s['dbPromise'] instanceof Promise && typeof s['store'] === 'string') {
    return listIndexedDb(storage as unknown as IndexedDbShape, prefix)
  }
  if (!fallbackLogged) {
    fallbackLogged = true
    logger?.info({}, 'storage adapter lists no keys: unsupported, its values are read instead')
  }
  return (await storage.loadRange(prefix)).map((c) => c.key)
}

async function listNodeFs(adapter: NodeFsShape, prefix: StorageKey): Promise<StorageKey[]> {
  // A variable specifier keeps browser bundlers away (this shape exists only in Node).
  const specifier = 'node:fs/promises'
  const fs = (await import(/* @vite-ignore */ specifier)) as typeof NodeFs
  const out = new Map<string, StorageKey>()
  const walk = async (dir: string, key: StorageKey): Promise<void> => {
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
      if (e.isDirectory()) dirs.push(walk(`${dir}/${e.name}`, [...key, e.name]))
      else out.set([...key, e.name].join('/'), [...key, e.name])
    }
    await Promise.all(dirs)
  }
  await walk(adapter.getFilePath(prefix), prefix)
  // Saved in this process, possibly not yet on disk (the adapter's own loadRange counts them).
  // Its cache key is `path.join(...key)`, and no key part holds a separator: split it back.
  for (const k of adapter.cachedKeys(prefix)) {
    const parts = k.split(/[\\/]/)
    out.set(parts.join('/'), parts)
  }
  return [...out.values()]
}

async function listIndexedDb(adapter: IndexedDbShape, prefix: StorageKey): Promise<StorageKey[]> {
  const db = await adapter.dbPromise
  const range = IDBKeyRange.bound(prefix, [...prefix, '\uffff'])
  const request = db.transaction(adapter.store).objectStore(adapter.store).getAllKeys(range)
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result as unknown as StorageKey[])
    request.onerror = () => reject(request.error)
  })
}
