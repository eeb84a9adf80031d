import * as A from '@automerge/automerge'
import type { DocumentId, Repo, StorageAdapterInterface } from '@automerge/automerge-repo'
import type { BundledDocument } from '@tabsync/core/internal'
import type { OwnershipRegistry } from '../access/ownership.js'
import type { Principal } from '../access/principal.js'

/** Documents read at once by one request: storage reads are waits on the disk, not CPU. */
const READS_IN_FLIGHT = 16

/** What a {@link BundleReader} reads from. */
export interface BundleReaderParts {
  readonly repo: Repo
  readonly storage: StorageAdapterInterface
  readonly registry: OwnershipRegistry
}

/**
 * The saved bytes of documents one principal may read, for one `POST /documents` answer: each
 * document read at most once, several at a time (a bundle of 250 read one after the other spent
 * its time waiting on about five file operations per document), in the order asked. A document
 * of another store, unknown, or with no content is `undefined`, alike.
 */
export class BundleReader {
  readonly #parts: BundleReaderParts
  readonly #principal: Principal
  readonly #reads = new Map<string, Promise<Uint8Array | undefined>>()

  constructor(parts: BundleReaderParts, principal: Principal) {
    this.#parts = parts
    this.#principal = principal
  }

  /** The stores the principal belongs to. */
  get storeIds(): readonly string[] {
    return this.#principal.storeIds
  }

  /** One document's bytes, when the principal may read it. */
  read(id: string): Promise<Uint8Array | undefined> {
    let read = this.#reads.get(id)
    if (!read) {
      read = (async () => {
        if (!(await this.#parts.registry.mayRead(this.#principal, id))) return undefined
        return savedBytes(this.#parts, id as DocumentId)
      })()
      this.#reads.set(id, read)
    }
    return read
  }

  /**
   * The document the repo holds in memory for `id`, once {@link read} gave it to this principal;
   * undefined when not loaded (reading it costs an `Automerge.load`, which callers may skip).
   */
  async loaded<T>(id: string): Promise<A.Doc<T> | undefined> {
    if (!(await this.read(id))) return undefined
    const handle = this.#parts.repo.handles[id as DocumentId]
    return handle?.isReady() ? (handle.doc() as A.Doc<T>) : undefined
  }

  /** The documents among `ids` the principal may read and that have content, in that order. */
  async readAll(ids: readonly string[]): Promise<BundledDocument[]> {
    const unique = [...new Set(ids)]
    const bytes: (Uint8Array | undefined)[] = new Array(unique.length)
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(READS_IN_FLIGHT, unique.length) }, async () => {
        for (let i = next++; i < unique.length; i = next++) bytes[i] = await this.read(unique[i]!)
      }),
    )
    return unique.flatMap((documentId, i) => {
      const b = bytes[i]
      return b ? [{ documentId, bytes: b }] : []
    })
  }
}

/**
 * A document's saved bytes: from memory when the repo has it loaded (it may hold changes not yet
 * written), else its stored chunks one after another (Automerge loads them as one).
 */
async function savedBytes(
  parts: BundleReaderParts,
  id: DocumentId,
): Promise<Uint8Array | undefined> {
  const handle = parts.repo.handles[id]
  if (handle?.isReady()) {
    const doc = handle.doc()
    return A.getHeads(doc).length > 0 ? A.save(doc) : undefined
  }
  const chunks = (await parts.storage.loadRange([id])).filter(
    (c) => (c.key[1] === 'snapshot' || c.key[1] === 'incremental') && c.data !== undefined,
  )
  if (chunks.length === 0) return undefined
  return Buffer.concat(chunks.map((c) => c.data as Uint8Array))
}
