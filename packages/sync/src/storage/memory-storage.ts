import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'
import { keysByDocument, type DocumentKeyListing, type KeyListing } from './key-listing.js'

/**
 * A storage adapter in memory: nothing survives the process. For tests, demos and devices
 * that must not persist (a kiosk in guest mode).
 */
export class MemoryStorageAdapter
  implements StorageAdapterInterface, KeyListing, DocumentKeyListing
{
  #data = new Map<string, Uint8Array>()

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#data.get(keyString(key))
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    this.#data.set(keyString(key), data)
  }

  async remove(key: StorageKey): Promise<void> {
    this.#data.delete(keyString(key))
  }

  async loadRange(prefix: StorageKey): Promise<Chunk[]> {
    return [...this.#data]
      .filter(([k]) => hasPrefix(k, prefix))
      .map(([k, data]) => ({ key: parseKey(k), data }))
  }

  /** The keys under `prefix`, without their values (see key-listing.ts). */
  async listKeys(prefix: StorageKey): Promise<StorageKey[]> {
    return [...this.#data.keys()].filter((k) => hasPrefix(k, prefix)).map(parseKey)
  }

  /** The keys of each document, in one pass over the keys (see key-listing.ts). */
  async listDocumentKeys(ids: readonly string[]): Promise<Map<string, StorageKey[]>> {
    return keysByDocument(ids, [...this.#data.keys()].map(parseKey))
  }

  async removeRange(prefix: StorageKey): Promise<void> {
    for (const k of [...this.#data.keys()]) if (hasPrefix(k, prefix)) this.#data.delete(k)
  }
}

/** A storage key as one string (parts joined by a separator no key part contains). */
export function keyString(key: StorageKey): string {
  return key.join('\u0000')
}

/** The inverse of {@link keyString}. */
export function parseKey(k: string): StorageKey {
  return k.split('\u0000')
}

/** True when the joined key `k` starts with every part of `prefix`. */
export function hasPrefix(k: string, prefix: StorageKey): boolean {
  const parts = parseKey(k)
  return prefix.every((p, i) => parts[i] === p)
}
