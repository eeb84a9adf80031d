import { sha256 } from './sha256.js'

// What the change fast path needs to know of a change before it applies it: its hash and the
// hashes it depends on. `A.decodeChange` gives both but also turns every operation into JS
// objects, the larger part of a receiver's check. An uncompressed change chunk carries its
// dependencies first in its body, and its hash is the SHA-256 of the chunk from its type byte on,
// whose first four bytes the chunk repeats as its checksum (Automerge's binary format): so both
// are read here, and the checksum proves the reading.

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const
/** Chunk type of an uncompressed change (compressed changes are 2, documents 0). */
const CHANGE_CHUNK = 1
const HASH_BYTES = 32

/** A change's hash and dependencies (hex), as `A.decodeChange` names them. */
export interface ChangeHeader {
  readonly hash: string
  readonly deps: readonly string[]
}

/**
 * The hash and dependencies of one uncompressed Automerge change, read from its header and
 * checked against its checksum; undefined when `bytes` are anything else (a compressed change,
 * several chunks, a checksum that does not match): ask `A.decodeChange` then, which decodes or
 * refuses them.
 */
export function readChangeHeader(bytes: Uint8Array): ChangeHeader | undefined {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) return undefined
  if (bytes[8] !== CHANGE_CHUNK) return undefined
  const length = readUleb(bytes, 9)
  if (!length || length.end + length.value !== bytes.length) return undefined
  const count = readUleb(bytes, length.end)
  if (!count || count.end + count.value * HASH_BYTES > bytes.length) return undefined
  const hash = sha256(bytes.subarray(8))
  for (let i = 0; i < 4; i++) if (hash[i] !== bytes[4 + i]) return undefined
  const deps: string[] = []
  for (let i = 0; i < count.value; i++) {
    const at = count.end + i * HASH_BYTES
    deps.push(hex(bytes.subarray(at, at + HASH_BYTES)))
  }
  return { hash: hex(hash), deps }
}

/** An unsigned LEB128 number at `at` (at most 2^53), and where it ends. */
function readUleb(bytes: Uint8Array, at: number): { value: number; end: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = at; i < bytes.length && i < at + 8; i++) {
    const b = bytes[i]!
    value += (b & 0x7f) * scale
    if ((b & 0x80) === 0) return { value, end: i + 1 }
    scale *= 128
  }
  return undefined
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function hex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX[b]
  return s
}
