import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'

const MAGIC = new Uint8Array([0x54, 0x53, 0x52, 0x31]) // "TSR1"
const HEADER_BYTES = MAGIC.byteLength + 8
const FILE_SUFFIX = '.chunk'
const TMP_SUFFIX = '.tmp'

/** Options of {@link FileStorageAdapter}. */
export interface FileStorageOptions {
  /** fsync each file before it replaces the old one (survives power loss, costs latency). */
  readonly fsync?: boolean
}

/**
 * A file-system storage adapter for automerge-repo, one file per key.
 *
 * Why not automerge-repo-storage-nodefs: that adapter keeps every chunk it ever saved in an
 * in-process cache (memory grows with all data written since start, which a relay serving many
 * stores cannot afford) and writes files in place (a kill -9 mid-write leaves a truncated chunk).
 * Here nothing is cached, and each write goes to a temporary file renamed over the old one, so a
 * crash leaves either the old or the new chunk. Each file starts with a small header holding a
 * write sequence number so `loadRange` returns chunks in the order they were written, as
 * automerge-repo's adapter acceptance tests expect.
 *
 * Layout: `<dir>/<first 2 chars of key[0]>/<key[0]>/<key[1]>/.../<key[n]>.chunk`, each part
 * URI-encoded with `.` escaped, so no part can be `..` or collide with the suffix.
 */
export class FileStorageAdapter implements StorageAdapterInterface {
  readonly directory: string
  readonly #fsync: boolean
  #lastSeq = 0

  constructor(directory: string, options: FileStorageOptions = {}) {
    this.directory = directory
    this.#fsync = options.fsync ?? false
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const file = await readChunkFile(this.#filePath(key))
    return file?.data
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    const path = this.#filePath(key)
    const tmp = `${path}.${randomBytes(6).toString('hex')}${TMP_SUFFIX}`
    const header = new Uint8Array(HEADER_BYTES)
    header.set(MAGIC)
    new DataView(header.buffer).setBigUint64(MAGIC.byteLength, BigInt(this.#nextSeq()))
    // A document's directory exists after its first chunk: try the file first and create the
    // directory only when it is missing, instead of a mkdir round trip through the thread pool
    // on every save (the relay saves a chunk per change).
    let handle
    try {
      handle = await open(tmp, 'w')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true })
      handle = await open(tmp, 'w')
    }
    try {
      await handle.writev([header, data])
      if (this.#fsync) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  }

  async remove(key: StorageKey): Promise<void> {
    try {
      await unlink(this.#filePath(key))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const found: { key: StorageKey; data: Uint8Array; seq: number }[] = []
    for (const [prefix, dir] of await this.#rangeRoots(keyPrefix)) {
      await walk(dir, prefix, found)
    }
    if (keyPrefix.length > 0) {
      const exact = await readChunkFile(this.#filePath(keyPrefix))
      if (exact) found.push({ key: [...keyPrefix], ...exact })
    }
    found.sort((a, b) => a.seq - b.seq || compareKeys(a.key, b.key))
    return found.map(({ key, data }) => ({ key, data }))
  }

  async removeRange(keyPrefix: StorageKey): Promise<void> {
    for (const [, dir] of await this.#rangeRoots(keyPrefix)) {
      await rm(dir, { recursive: true, force: true })
    }
    if (keyPrefix.length > 0) await this.remove(keyPrefix)
  }

  #nextSeq(): number {
    // Microseconds since the epoch, strictly increasing within this process: write order
    // survives restarts as long as the wall clock does not jump back by more than the downtime.
    this.#lastSeq = Math.max(this.#lastSeq + 1, Date.now() * 1000)
    return this.#lastSeq
  }

  #dirPath(key: StorageKey): string {
    const parts = key.map(encodePart)
    const first = parts[0]
    if (first === undefined) return this.directory
    return join(this.directory, shardOf(first), ...parts)
  }

  #filePath(key: StorageKey): string {
    if (key.length === 0) throw new Error('Empty storage key')
    return this.#dirPath(key) + FILE_SUFFIX
  }

  /** Directories to walk for a prefix, each with the key parts its files start with. */
  async #rangeRoots(keyPrefix: StorageKey): Promise<[StorageKey, string][]> {
    if (keyPrefix.length > 0) return [[[...keyPrefix], this.#dirPath(keyPrefix)]]
    const roots: [StorageKey, string][] = []
    for (const shard of await listDir(this.directory)) {
      if (!shard.isDirectory()) continue
      for (const entry of await listDir(join(this.directory, shard.name))) {
        if (entry.isDirectory()) {
          roots.push([[decodePart(entry.name)], join(this.directory, shard.name, entry.name)])
        }
      }
    }
    // Keys of a single part live as files directly in the shard directory.
    for (const shard of await listDir(this.directory)) {
      if (!shard.isDirectory()) continue
      roots.push([[], join(this.directory, shard.name)])
    }
    return roots
  }
}

function encodePart(part: string): string {
  if (typeof part !== 'string' || part.length === 0) throw new Error('Invalid storage key part')
  return encodeURIComponent(part).replace(/\./g, '%2E').replace(/\*/g, '%2A')
}

function decodePart(name: string): string {
  return decodeURIComponent(name)
}

function shardOf(encodedFirst: string): string {
  return encodedFirst.slice(0, 2)
}

function compareKeys(a: StorageKey, b: StorageKey): number {
  const x = a.join('\u0000')
  const y = b.join('\u0000')
  return x < y ? -1 : x > y ? 1 : 0
}

async function listDir(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
}

async function readChunkFile(path: string): Promise<{ data: Uint8Array; seq: number } | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EISDIR') return undefined
    throw e
  }
  const hasHeader = bytes.byteLength >= HEADER_BYTES && MAGIC.every((b, i) => bytes[i] === b)
  if (!hasHeader) return { data: new Uint8Array(bytes), seq: 0 }
  const seq = Number(bytes.readBigUInt64BE(MAGIC.byteLength))
  return { data: new Uint8Array(bytes.subarray(HEADER_BYTES)), seq }
}

async function walk(
  dir: string,
  prefix: StorageKey,
  out: { key: StorageKey; data: Uint8Array; seq: number }[],
): Promise<void> {
  for (const entry of await listDir(dir)) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      // Only descend below the prefix root: a shard directory holds single-part files only.
      if (prefix.length > 0) await walk(path, [...prefix, decodePart(entry.name)], out)
    } else if (entry.name.endsWith(FILE_SUFFIX)) {
      const file = await readChunkFile(path)
      const name = decodePart(entry.name.slice(0, -FILE_SUFFIX.length))
      if (file) out.push({ key: [...prefix, name], ...file })
    }
  }
}
