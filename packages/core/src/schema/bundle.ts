import { TabsyncError, ErrorKind } from '../errors.js'

/** One saved document in a bundle: its automerge-repo document id and its saved bytes. */
export interface BundledDocument {
  readonly documentId: string
  /** `Automerge.save` output, or saved chunks one after another (both load the same way). */
  readonly bytes: Uint8Array
}

/** "TSB1": a bundle, version 1. */
const MAGIC = [0x54, 0x53, 0x42, 0x31] as const
const ID_PATTERN = /^[A-Za-z0-9]{1,64}$/

/**
 * Many saved documents in one binary, so a relay can hand a device a whole business day in one
 * response instead of one sync exchange per document. Layout (big-endian): "TSB1", a uint32
 * document count, then per document a uint16 id length, the id (ASCII), a uint32 byte length
 * and the bytes. The count makes a response cut at a document boundary an error too.
 */
export function encodeBundle(documents: readonly BundledDocument[]): Uint8Array {
  const ascii = new TextEncoder()
  const ids = documents.map((d) => {
    if (!ID_PATTERN.test(d.documentId)) {
      throw new TabsyncError(ErrorKind.invalidInput, `not a document id: ${d.documentId}`)
    }
    return ascii.encode(d.documentId)
  })
  const size = documents.reduce((n, d, i) => n + 6 + ids[i]!.length + d.bytes.length, 8)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  view.setUint32(4, documents.length)
  let at = 8
  documents.forEach((d, i) => {
    const id = ids[i]!
    view.setUint16(at, id.length)
    out.set(id, at + 2)
    at += 2 + id.length
    view.setUint32(at, d.bytes.length)
    out.set(d.bytes, at + 4)
    at += 4 + d.bytes.length
  })
  return out
}

/** Reads a bundle. Throws `corrupt` on anything that is not a whole, well-formed bundle. */
export function decodeBundle(bytes: Uint8Array): BundledDocument[] {
  const corrupt = (why: string) => new TabsyncError(ErrorKind.corrupt, `bad bundle: ${why}`)
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt('no TSB1 header')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = view.getUint32(4)
  const ascii = new TextDecoder()
  const out: BundledDocument[] = []
  let at = 8
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw corrupt('truncated id length')
    const idLength = view.getUint16(at)
    if (at + 2 + idLength + 4 > bytes.length) throw corrupt('truncated id')
    const documentId = ascii.decode(bytes.subarray(at + 2, at + 2 + idLength))
    if (!ID_PATTERN.test(documentId)) throw corrupt('bad document id')
    at += 2 + idLength
    const length = view.getUint32(at)
    if (at + 4 + length > bytes.length) throw corrupt(`truncated document ${documentId}`)
    out.push({ documentId, bytes: bytes.subarray(at + 4, at + 4 + length) })
    at += 4 + length
  }
  if (out.length !== count) throw corrupt(`${out.length} of ${count} documents`)
  return out
}
