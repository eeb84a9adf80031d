import type { DocumentId, Repo, StorageAdapterInterface } from '@automerge/automerge-repo/slim'
import type { BundledDocument } from '@tabsync/core/internal'
import type { DocumentsFloor } from '@tabsync/protocol'
import { silentLogger, type Logger } from '../log/logger.js'
import { bulkChunkKey, isContentChunk } from './chunk-keys.js'

/**
 * Asks one hub or relay for many documents at once (see `SyncLink.fetchDocuments`), and with
 * `floor` for the floor of a store's day along with them (the protocol's `DocumentsFloor`).
 */
export type DocumentFetcher = (
  ids: readonly string[],
  floor?: DocumentsFloor,
) => Promise<BundledDocument[]>

/** What {@link CatchUp.fetch} found. */
export interface CatchUpResult {
  /** Already loaded (ready) or stored on this device before the call. */
  readonly present: readonly DocumentId[]
  /** Brought into storage by this call (or a concurrent one). */
  readonly fetched: readonly DocumentId[]
  /** Neither here nor returned by any server (not synced yet, or not this store's). */
  readonly missing: readonly DocumentId[]
}

/** Options of {@link CatchUp.fetch}. */
export interface FetchOptions {
  /** Load what this call fetches into the repo from the answer's bytes (see `fetch`). */
  readonly load?: boolean
  /**
   * Ask the server for the floor of this store's day in the same request (`DocumentsFloor`: the
   * store document, its table-days of the day at `at`, the checks they do not hint closed).
   * What comes along unasked is kept in memory for the calls that ask for it (see `fetch`).
   */
  readonly floor?: DocumentsFloor
}

/** Documents per request: a day of 2,000 orders is 8 requests of ~300 kB. */
const CATCH_UP_BATCH = 250
/** Requests in flight at once. */
const IN_FLIGHT = 2
/**
 * Documents a server sent along unasked (a floor: a store's table-days and open checks), kept
 * until asked for. A floor is at most 1 + the tables + 250 checks of a few kB each.
 */
const KEPT_UNASKED = 600

/**
 * Brings documents a device does not have into its storage in bulk, so that opening them is a
 * local load instead of one sync exchange each through the relay (what made a cold device take
 * a minute for a day of 2,000 orders). The bytes are written as one chunk under the key
 * automerge-repo loads a document from (`[documentId, 'incremental', …]`); once a document is
 * opened, the repo syncs it with its peers the usual way, which also brings whatever changed
 * since. Best effort: a server that fails is skipped and the normal sync remains.
 */
export class CatchUp {
  readonly #repo: Repo
  readonly #storage: StorageAdapterInterface
  readonly #fetchers: () => DocumentFetcher[]
  /** Fetches in flight, per document: a cold start and a report asking at once fetch once. */
  readonly #inFlight = new Map<DocumentId, Promise<boolean>>()
  /**
   * Documents known to be stored here (found or written by this object). A device never removes
   * a document, so once stored it stays: a day asked for again (a fetch, then a load, then a
   * report) checks storage once per document, not once per call. The check lists the document's
   * chunks, which is costly on some adapters (Node files walk its folders; the in-memory key
   * cache of automerge-repo's file adapter is filtered in full for every listing).
   */
  readonly #stored = new Set<DocumentId>()
  /**
   * Documents a server sent along without being asked (the floor of a day), by id: not stored,
   * not loaded, until a call asks for them, which then takes them from here without a request.
   * A device thus stores and opens only what it asked for (the ids it computes itself), and a
   * floor saves it the requests, never a check.
   */
  readonly #unasked = new Map<DocumentId, Uint8Array>()

  readonly #logger: Logger

  constructor(
    repo: Repo,
    storage: StorageAdapterInterface,
    fetchers: () => DocumentFetcher[],
    logger: Logger = silentLogger,
  ) {
    this.#repo = repo
    this.#storage = storage
    this.#fetchers = fetchers
    this.#logger = logger
  }

  /** True while a bulk fetch is bringing documents into storage. */
  busy(): boolean {
    return this.#inFlight.size > 0
  }

  /**
   * The documents among `ids` a server sent along unasked and not taken yet (the floor of the
   * store's first request): a day whose table-days came so need no request for the others, which
   * that server did not have (tables with no check yet).
   */
  sentAlong(ids: readonly DocumentId[]): DocumentId[] {
    return ids.filter((id) => this.#unasked.has(id))
  }

  /** The documents among `ids` that are loaded or stored on this device. */
  async present(ids: readonly DocumentId[]): Promise<DocumentId[]> {
    return (await this.#split(ids)).present
  }

  /**
   * Fetches the documents among `ids` that are not here, in the order given (most wanted first).
   * With `load`, each one this call fetches is also loaded into the repo from the bytes in hand
   * (`repo.import`), so its handle is ready as the answer arrives, without reading back what was
   * just stored. Its sync starts as for a find (hold it in the sync gate first if it must wait).
   * Documents an earlier answer sent along unasked (a floor) are taken from memory, no request.
   */
  async fetch(ids: readonly DocumentId[], options: FetchOptions = {}): Promise<CatchUpResult> {
    const { present, absent } = await this.#split(ids)

    // Each absent document's outcome: stored by one of our requests, or by a call already asking.
    const outcomes = new Map<DocumentId, Promise<boolean>>()
    const toFetch: DocumentId[] = []
    const kept: BundledDocument[] = []
    for (const id of absent) {
      const pending = this.#inFlight.get(id)
      const bytes = this.#unasked.get(id)
      if (pending) outcomes.set(id, pending)
      else if (bytes) {
        this.#unasked.delete(id)
        kept.push({ documentId: id, bytes })
      } else toFetch.push(id)
    }
    const track = (ids: readonly DocumentId[], got: Promise<Set<DocumentId>>) => {
      for (const id of ids) {
        const one = got.then((s) => s.has(id))
        this.#inFlight.set(id, one)
        outcomes.set(id, one)
        void one.then(() => this.#inFlight.delete(id))
      }
    }
    if (kept.length > 0) {
      track(
        kept.map((d) => d.documentId as DocumentId),
        this.#store(kept, options.load === true).catch((err: unknown) => {
          this.#logger.warn({ err, documents: kept.length }, 'documents sent along not stored')
          return new Set<DocumentId>()
        }),
      )
    }
    const jobs: { ids: DocumentId[]; done: (got: Set<DocumentId>) => void }[] = []
    for (let i = 0; i < toFetch.length; i += CATCH_UP_BATCH) {
      const ids = toFetch.slice(i, i + CATCH_UP_BATCH)
      let done: (got: Set<DocumentId>) => void = () => undefined
      track(ids, new Promise<Set<DocumentId>>((resolve) => (done = resolve)))
      jobs.push({ ids, done })
    }
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(IN_FLIGHT, jobs.length) }, async () => {
        for (let job = jobs[next++]; job; job = jobs[next++]) {
          // The floor goes with the first request only.
          const floor = job === jobs[0] ? options.floor : undefined
          job.done(
            await this.#fetchBatch(job.ids, options.load === true, floor).catch((err: unknown) => {
              this.#logger.warn({ err, documents: job.ids.length }, 'catch-up batch failed')
              return new Set<DocumentId>()
            }),
          )
        }
      }),
    )
    const fetched: DocumentId[] = []
    const missing: DocumentId[] = []
    const stored = await Promise.all(absent.map((id) => outcomes.get(id) ?? Promise.resolve(false)))
    absent.forEach((id, i) => {
      ;(stored[i] || this.#repo.handles[id]?.isReady() === true ? fetched : missing).push(id)
    })
    return { present, fetched, missing }
  }

  /**
   * Documents fetched outside the device (a new device's starter bundle, which the page fetched
   * while the app loaded): loaded into the repo from the bytes in hand, so opening them reads
   * nothing back, and stored as a fetch stores what it fetches. Resolves once they are loaded;
   * the writes go on behind (closing the device waits for them: ClosableStorage), since a
   * document missing from storage after a crash is fetched again like any other. Only documents
   * absent here are taken: one loaded or stored already is left as it is, since opening it from
   * these bytes alone would hide what storage holds. `storageUnused` (nothing stored yet) spares
   * the per-document storage check.
   */
  async adopt(
    docs: readonly BundledDocument[],
    options: { readonly storageUnused: boolean },
  ): Promise<DocumentId[]> {
    const ids = docs.map((d) => d.documentId as DocumentId)
    const absent = new Set(
      options.storageUnused
        ? ids.filter((id) => this.#repo.handles[id]?.isReady() !== true)
        : (await this.#split(ids)).absent,
    )
    const taken = docs.filter((d) => d.bytes.length > 0 && absent.has(d.documentId as DocumentId))
    for (const d of taken) this.#load(d.documentId as DocumentId, d.bytes)
    void Promise.all(
      taken.map(async (d) => {
        await this.#storage.save(bulkChunkKey(d.documentId), d.bytes)
        this.#stored.add(d.documentId as DocumentId)
      }),
    ).catch((err: unknown) =>
      this.#logger.warn({ err, documents: taken.length }, 'handed documents not all stored'),
    )
    return taken.map((d) => d.documentId as DocumentId)
  }

  /**
   * One request, trying each server until one answers; stores (and loads) what was asked and
   * keeps what came along unasked.
   */
  async #fetchBatch(
    ids: readonly DocumentId[],
    load: boolean,
    floor: DocumentsFloor | undefined,
  ): Promise<Set<DocumentId>> {
    const wanted = new Set<string>(ids)
    for (const fetcher of this.#fetchers()) {
      let docs: BundledDocument[]
      try {
        docs = await (floor ? fetcher(ids, floor) : fetcher(ids))
      } catch (err) {
        this.#logger.info({ err }, 'bulk fetch refused or unreachable; trying the next server')
        continue // unreachable or refused: the next server, else the normal sync
      }
      for (const d of docs) {
        const id = d.documentId as DocumentId
        if (wanted.has(id) || d.bytes.length === 0 || this.#repo.handles[id]) continue
        if (this.#unasked.size >= KEPT_UNASKED) break
        this.#unasked.set(id, d.bytes)
      }
      return this.#store(
        docs.filter((d) => wanted.has(d.documentId)),
        load,
      )
    }
    return new Set()
  }

  /** Stores (and with `load`, loads) documents a server sent; the ids stored. */
  async #store(docs: readonly BundledDocument[], load: boolean): Promise<Set<DocumentId>> {
    const stored = new Set<DocumentId>()
    await Promise.all(
      docs
        .filter((d) => d.bytes.length > 0)
        .map(async (d) => {
          const id = d.documentId as DocumentId
          const handle = this.#repo.handles[id]
          // Opened meanwhile and here: its own sync keeps it up to date.
          if (handle?.isReady()) return
          if (handle) {
            // A find that is waiting (or gave up: unavailable) gets the content now.
            this.#repo.import(d.bytes, { docId: id })
          } else {
            if (load) this.#load(id, d.bytes)
            await this.#storage.save(bulkChunkKey(id), d.bytes)
            this.#stored.add(id)
          }
          stored.add(id)
        }),
    )
    return stored
  }

  /** A fetched document into the repo from its bytes (a find then returns it at once). */
  #load(id: DocumentId, bytes: Uint8Array): void {
    try {
      this.#repo.import(bytes, { docId: id })
    } catch (err) {
      // Not loadable as fetched: stored all the same; a find reads it (or syncs it) as before.
      this.#logger.warn({ err, documentId: id }, 'fetched document did not load; stored only')
    }
  }

  async #split(
    ids: readonly DocumentId[],
  ): Promise<{ present: DocumentId[]; absent: DocumentId[] }> {
    const present: DocumentId[] = []
    const absent: DocumentId[] = []
    const checks = [...new Set(ids)].map(async (id) => {
      // Being fetched now (absent when asked): the caller shares that fetch, no storage listing.
      if (this.#inFlight.has(id)) return { id, here: false }
      if (this.#repo.handles[id]?.isReady() === true) return { id, here: true }
      // Sent along by a server, so absent when it came (only a new device asks for a floor).
      if (this.#unasked.has(id)) return { id, here: false }
      return { id, here: await this.#isStored(id) }
    })
    for (const { id, here } of await Promise.all(checks)) (here ? present : absent).push(id)
    return { present, absent }
  }

  async #isStored(id: DocumentId): Promise<boolean> {
    if (this.#stored.has(id)) return true
    const chunks = await this.#storage.loadRange([id])
    const stored = chunks.some(isContentChunk)
    if (stored) this.#stored.add(id)
    return stored
  }
}
