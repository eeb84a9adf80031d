/**
 * Document ids bound to their store. A new document's 16 id bytes are
 * `tag (3) | nonce (6) | mac (7)` with `mac = SHA-256("tabsync-doc-id:v1:" + storeId + ":" + nonce)`
 * cut to 7 bytes. The relay can tell on first sight, from the id alone and before any content is
 * stored, which store may introduce the document: a store that learns another store's id (a
 * screenshot, a shared account) cannot compute a matching mac for its own store id, so it cannot
 * claim it. The tag marks bound ids; automerge-repo's random ids carry it by chance with
 * probability 2^-24 (such a legacy id is then judged as bound, see the relay README).
 * Pure (WebCrypto digest, present in browsers and Node 20+); no I/O.
 */

/** First bytes of every store-bound id ("tsb"). */
export const STORE_BOUND_TAG: readonly number[] = [0x74, 0x73, 0x62]
const NONCE_BYTES = 6
const MAC_BYTES = 7
const ID_BYTES = STORE_BOUND_TAG.length + NONCE_BYTES + MAC_BYTES

async function mac(storeId: string, nonce: Uint8Array): Promise<Uint8Array> {
  const hex = [...nonce].map((b) => b.toString(16).padStart(2, '0')).join('')
  const input = new TextEncoder().encode(`tabsync-doc-id:v1:${storeId}:${hex}`)
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', input))
  return digest.subarray(0, MAC_BYTES)
}

/**
 * The 16 bytes of a new document id bound to `storeId` (automerge-repo's binary document id;
 * turn it into a `DocumentId` with its `binaryToDocumentId`). `nonce`: 6 bytes, random by default.
 */
export async function storeBoundIdBytes(
  storeId: string,
  nonce: Uint8Array = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES)),
): Promise<Uint8Array> {
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`)
  const out = new Uint8Array(ID_BYTES)
  out.set(STORE_BOUND_TAG, 0)
  out.set(nonce, STORE_BOUND_TAG.length)
  out.set(await mac(storeId, nonce), STORE_BOUND_TAG.length + NONCE_BYTES)
  return out
}

/** True when these id bytes carry the store-bound tag (the id claims to be bound to a store). */
export function isStoreBoundId(bytes: Uint8Array): boolean {
  return bytes.length === ID_BYTES && STORE_BOUND_TAG.every((b, i) => bytes[i] === b)
}

/** True when these store-bound id bytes were derived for `storeId`. */
export async function isIdOfStore(bytes: Uint8Array, storeId: string): Promise<boolean> {
  if (!isStoreBoundId(bytes)) return false
  const start = STORE_BOUND_TAG.length
  const expected = await mac(storeId, bytes.subarray(start, start + NONCE_BYTES))
  const actual = bytes.subarray(start + NONCE_BYTES)
  return expected.every((b, i) => actual[i] === b)
}
