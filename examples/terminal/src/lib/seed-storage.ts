/*
 * A new device's starter documents (starter-bundle.ts), for storage no device has used yet: the
 * app hands them to the open device (sync's `importDocuments`), which stores each one as sync's
 * catch-up stores what it fetches (one chunk) and opens it from the bytes in hand, so the first
 * floor reads none of them back from IndexedDB (a read per document was most of a new device's
 * start after the app's code: issue 15). The device then syncs each document with the relay as
 * usual, which brings whatever changed since. A bundle that is not one, or a document that is
 * not Automerge data, is left out with a console warning: the device fetches it the usual way.
 */
import type { StorageAdapterInterface } from '@automerge/automerge-repo'
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { isTabsyncError } from '@tabsync/core'
import { decodeBundle, type BundledDocument } from '@tabsync/core/internal'
import { DeviceKeys, deviceDatabaseName } from '@tabsync/sync'

/** Every saved Automerge document (a chunk or a whole save) starts with these bytes. */
const AUTOMERGE_MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const

/**
 * The documents of `bundle` that are among `wanted` and are Automerge data, in the bundle's order;
 * none when the bundle is not one (each left out with a console warning: the device fetches it the
 * usual way).
 */
export function starterDocuments(bundle: Uint8Array, wanted: readonly string[]): BundledDocument[] {
  let docs
  try {
    docs = decodeBundle(bundle)
  } catch (e) {
    if (!isTabsyncError(e)) throw e
    console.warn(`tabsync: ignoring a starter bundle that is not one (${e.message})`)
    return []
  }
  const asked = new Set(wanted)
  return docs.filter(({ documentId, bytes }) => {
    if (!asked.has(documentId)) return false
    if (AUTOMERGE_MAGIC.every((b, i) => bytes[i] === b)) return true
    console.warn(`tabsync: starter document ${documentId} is not Automerge data; left out`)
    return false
  })
}

/**
 * The device's IndexedDB storage (the database `openDevice` would open itself) and, when a bundle
 * came and no device has used this storage yet, the starter documents to seed it with
 * (`seed`: hand them to sync's `importDocuments` once the device is open).
 */
export async function openSeededStorage(
  deviceId: string,
  starter: { readonly bundle: Uint8Array | undefined; readonly ids: readonly string[] } | undefined,
): Promise<{ storage: StorageAdapterInterface; seed: BundledDocument[] | undefined }> {
  const storage = new IndexedDBStorageAdapter(deviceDatabaseName(deviceId))
  if (!starter?.bundle) return { storage, seed: undefined }
  // One read instead of one per document: storage a device has used knows its store (sync writes
  // the URL once the store is loaded) and is left as it is.
  if (await storage.load(DeviceKeys.storeUrl)) return { storage, seed: undefined }
  const seed = starterDocuments(starter.bundle, starter.ids)
  return { storage, seed: seed.length > 0 ? seed : undefined }
}
