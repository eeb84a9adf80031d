import type { StorageKey } from '@automerge/automerge-repo/slim'

/**
 * Keys this package writes into the repo's storage adapter, next to automerge-repo's own
 * (which always start with a document id or `storage-adapter-id`, never with `tabsync-`).
 */
export const DeviceKeys = {
  /** Hybrid clock state: JSON `{ ms, counter }`. */
  clock: ['tabsync-device', 'clock'] as StorageKey,
  /** The store URL this device was paired with: UTF-8. */
  storeUrl: ['tabsync-device', 'store-url'] as StorageKey,
  /** When a hub or relay last confirmed this device's changes: calibrated epoch ms as UTF-8. */
  lastSync: ['tabsync-device', 'last-sync'] as StorageKey,
  /** Prefix of the unsynced markers: one key per document with local changes not yet confirmed. */
  pendingPrefix: ['tabsync-pending'] as StorageKey,
  /** The unsynced marker of one document. */
  pending: (documentId: string): StorageKey => ['tabsync-pending', documentId],
} as const
