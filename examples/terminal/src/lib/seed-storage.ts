/*
 * Puts a new device's starter documents (starter-bundle.ts) into its storage before the device
 * opens, so that opening the store, its tables and its checks is a local load: the same place
 * and the same single chunk sync's catch-up writes what it fetches (`bulkChunkKey`), and only into storage no device has used yet.
 * The device then syncs each document with the relay as usual, which brings whatever changed
 * since. A bundle that is not one, or a document that is not Automerge data, is left out with a
 * console warning: the device fetches it the usual way.
 */
import type { StorageAdapterInterface } from '@automerge/automerge-repo'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { isTabsyncError } from '@tabsync/core'
import { decodeBundle } from '@tabsync/core/internal'
import { DeviceKeys, deviceDatabaseName } from '@tabsync/sync'
import { bulkChunkKey } from '@tabsync/sync/internal'

/** Every saved Automerge document (a chunk or a whole save) starts with these bytes. */
const AUTOMERGE_MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const

/**
 * Stores the documents of `bundle` that are among `wanted` into `storage`, which no device has
 * used yet (see {@link openSeededStorage}); resolves with how many it stored.
 */
export async function seedStorage(
  storage: StorageAdapterInterface,
  bundle: Uint8Array,
  wanted: readonly string[],
): Promise<number> {
  let docs
  try {
    docs = decodeBundle(bundle)
  } catch (e) {
    if (!isTabsyncError(e)) throw e
    console.warn(`tabsync: ignoring a starter bundle that is not one (${e.message})`)
    return 0
  }
  const asked = new Set(wanted)
  const stored = await Promise.all(
    docs.map(async ({ documentId, bytes }) => {
      if (!asked.has(documentId)) return false
      if (!AUTOMERGE_MAGIC.every((b, i) => bytes[i] === b)) {
        console.warn(`tabsync: starter document ${documentId} is not Automerge data; left out`)
        return false
      }
      await storage.save(bulkChunkKey(documentId), bytes)
      return true
    }),
  )
  return stored.filter(Boolean).length
}

/**
 * The device's IndexedDB storage (the database `openDevice` would open itself), with the starter
 * documents in it when a bundle came: `fresh` says the device is new and was seeded.
 */
export async function openSeededStorage(
  deviceId: string,
  starter: { readonly bundle: Uint8Array | undefined; readonly ids: readonly string[] } | undefined,
): Promise<{ storage: StorageAdapterInterface; fresh: boolean }> {
  const storage = new IndexedDBStorageAdapter(deviceDatabaseName(deviceId))
  if (!starter?.bundle) return { storage, fresh: false }
  // One read instead of one per document: storage a device has used knows its store (sync writes
  // the URL once the store is loaded) and is left as it is.
  if (await storage.load(DeviceKeys.storeUrl)) return { storage, fresh: false }
  return { storage, fresh: (await seedStorage(storage, starter.bundle, starter.ids)) > 0 }
}
