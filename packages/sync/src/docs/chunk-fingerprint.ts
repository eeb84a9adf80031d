import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo/slim'

/*
 * A document's fingerprint: the names of the content chunks it is stored as, sorted. It names
 * the stored document exactly because a chunk name never stands for two contents:
 * automerge-repo names an incremental by the SHA-256 of its bytes and a snapshot by the hash of
 * its heads (one content, whatever its bytes), and the catch-up names its chunk `catch-up-<random
 * 128 bits>`, written once. Any other name (the single `catch-up` chunk of earlier versions,
 * which two writers could each write with other bytes) is fingerprinted with a hash of its bytes.
 */

const CONTENT_ADDRESS = /^[0-9a-f]{64}$/

/** True when the chunk's name alone identifies its content (see the file comment). */
export function isAddressedName(name: string): boolean {
  return CONTENT_ADDRESS.test(name) || name.startsWith('catch-up-')
}

/** True for a key of document content (a snapshot or an incremental). */
export function isContentKey(key: StorageKey): boolean {
  return key[1] === 'snapshot' || key[1] === 'incremental'
}

/** The fingerprint of chunks read with their bytes; undefined if one vanished while read. */
export function fingerprintOfChunks(chunks: readonly Chunk[]): string[] | undefined {
  const out: string[] = []
  for (const c of chunks) {
    if (!isContentKey(c.key)) continue
    if (!c.data) return undefined
    out.push(chunkEntry(c.key, c.data))
  }
  return out.sort()
}

/**
 * The fingerprint of a document from its keys alone (`keys`: every key under `[id]`), reading
 * the bytes of the chunks whose name does not identify their content.
 */
export async function fingerprintOfKeys(
  storage: StorageAdapterInterface,
  keys: readonly StorageKey[],
): Promise<string[] | undefined> {
  const out = await Promise.all(
    keys.filter(isContentKey).map(async (key) => {
      if (isAddressedName(key[2] ?? '')) return `${key[1]}/${key[2]}`
      const data = await storage.load(key)
      return data ? chunkEntry(key, data) : undefined
    }),
  )
  return out.every((e) => e !== undefined) ? (out as string[]).sort() : undefined
}

/** The fingerprint entry of one content chunk read with its bytes. */
export function chunkEntry(key: StorageKey, data: Uint8Array): string {
  const name = key[2] ?? ''
  return isAddressedName(name)
    ? `${key[1]}/${name}`
    : `${key[1]}/${name}#${data.length}.${hash(data)}`
}

/** Two 32-bit FNV-1a hashes with other offsets: accidental collisions only matter here. */
function hash(data: Uint8Array): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (const byte of data) {
    a = Math.imul(a ^ byte, 0x01000193)
    b = Math.imul(b ^ byte, 0x01000193) ^ (b >>> 13)
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`
}
