import type { StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import { SyncError, SyncErrorKind } from '../errors.js'
import { MemoryStorageAdapter } from './memory-storage.js'

/**
 * Where a device keeps its documents: `'indexeddb'` (browsers), `'memory'`,
 * `{ directory }` (Node, the file system), or any automerge-repo storage adapter.
 */
export type StorageOption =
  'indexeddb' | 'memory' | { readonly directory: string } | StorageAdapterInterface

/** Turns a {@link StorageOption} into an adapter, importing the Node or browser one lazily. */
export async function resolveStorage(
  option: StorageOption,
  databaseName: string,
): Promise<StorageAdapterInterface> {
  if (option === 'memory') return new MemoryStorageAdapter()
  if (option === 'indexeddb') {
    if (typeof indexedDB === 'undefined') {
      throw new SyncError(SyncErrorKind.invalidOptions, 'IndexedDB is not available here')
    }
    const { IndexedDBStorageAdapter } = await import('@automerge/automerge-repo-storage-indexeddb')
    return new IndexedDBStorageAdapter(databaseName)
  }
  if ('directory' in option) {
    // A variable specifier keeps browser bundlers away from the Node-only adapter.
    const specifier = '@automerge/automerge-repo-storage-nodefs'
    const mod = (await import(/* @vite-ignore */ specifier)) as {
      NodeFSStorageAdapter: new (dir: string) => StorageAdapterInterface
    }
    return new mod.NodeFSStorageAdapter(option.directory)
  }
  return option
}
