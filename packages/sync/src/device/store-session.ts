import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo/slim'
import {
  businessDate,
  decode,
  hlcMs,
  initStoreDoc,
  initTableDoc,
  tableDaysFrom,
  type CommandContext,
  type HybridClock,
  type StoreData,
  type StoreDoc,
  type StoreInit,
  type TableInit,
  type TableDoc,
} from '@tabsync/core'
import { retireTable } from '@tabsync/core/internal'
import type { CatchUp } from '../docs/catch-up.js'
import { createStoreBoundDoc } from '../docs/create-bound.js'
import { documentIdOf } from '../docs/document-id.js'
import { SyncError, SyncErrorKind } from '../errors.js'
import type { Logger } from '../log/logger.js'
import type { ClosableStorage } from '../storage/closable-storage.js'
import { DeviceKeys } from '../storage/device-keys.js'
import type { OpenDocs } from './open-docs.js'

/** What `createStore` takes: a store's configuration with tables that have no document yet. */
export type NewStore = Omit<StoreInit, 'tables' | 'tableDaysFrom'> & {
  readonly tables: readonly TableInit[]
  /**
   * First business date whose references live in table-day documents (core's `startTableDays`).
   * Default: the current business date (a store created by this version keeps table-days from
   * its first day); `null`: not opted in, as stores of the previous version (its tills can
   * still open checks on every table).
   */
  readonly tableDaysFrom?: string | null
}

/** What {@link StoreSession} needs from the device. */
export interface StoreSessionParts {
  readonly deviceId: string
  readonly repo: Repo
  readonly storage: ClosableStorage
  readonly clock: HybridClock
  readonly docs: OpenDocs
  readonly catchUp: CatchUp
  readonly storeUrl: AutomergeUrl | undefined
  readonly findTimeoutMs: number
  readonly logger: Logger
  /** Throws `closed` once the device is closed. */
  readonly assertOpen: () => void
}

/**
 * The store this device belongs to: pairing (the URL remembered in storage), loading the store
 * document (in bulk on a new device), creating one, and its configuration as plain data with
 * change listeners. Everything that needs the menu, the tables or the day rule reads it here.
 */
export class StoreSession {
  readonly #parts: StoreSessionParts
  #url: AutomergeUrl | undefined
  #handle: DocHandle<StoreDoc> | undefined
  #store: StoreData | undefined
  #loading: Promise<DocHandle<StoreDoc>> | undefined
  readonly #listeners = new Set<(store: StoreData) => void>()

  constructor(parts: StoreSessionParts) {
    this.#parts = parts
    this.#url = parts.storeUrl
    parts.docs.onChange(({ url, kind }) => {
      // Before the device's own change listeners: they read the new configuration.
      if (kind === 'store' && this.#handle?.url === url) this.#refresh(this.#handle)
    })
  }

  /** The store document's URL (undefined until paired or created). */
  get url(): AutomergeUrl | undefined {
    return this.#url
  }

  /** The store's configuration, undefined until loaded. */
  loaded(): StoreData | undefined {
    return this.#store
  }

  /** The store's configuration. Throws `no-store` before it is loaded. */
  store(): StoreData {
    if (!this.#store) {
      throw new SyncError(SyncErrorKind.noStore, 'the store is not loaded: await device.ready()')
    }
    return this.#store
  }

  /** The context core commands take: this device, its clock, the current store. */
  context(): CommandContext {
    return { deviceId: this.#parts.deviceId, clock: this.#parts.clock, store: this.store() }
  }

  /** The current business date by the hybrid clock and the store's day rule. */
  businessDate(): string {
    return businessDate(this.#parts.clock.now(), this.store())
  }

  /** Calls `cb` with the store whenever its configuration changes. Returns an unsubscribe. */
  onStore(cb: (store: StoreData) => void): () => void {
    this.#listeners.add(cb)
    return () => this.#listeners.delete(cb)
  }

  /**
   * The store document, from storage or (a new device) fetched in bulk, then found through peers
   * within `findTimeoutMs`. Rejects `no-store` without a URL; a failed load is tried again by
   * the next call.
   */
  load(): Promise<DocHandle<StoreDoc>> {
    if (this.#handle) return Promise.resolve(this.#handle)
    const url = this.#url
    if (!url) {
      return Promise.reject(
        new SyncError(
          SyncErrorKind.noStore,
          'no store: pass storeUrl to openDevice or createStore',
        ),
      )
    }
    const { docs, catchUp, storage, logger, findTimeoutMs } = this.#parts
    this.#loading ??= (async () => {
      // A new device gets the store document in bulk too (a request instead of a sync exchange),
      // loaded from the answer (no read back from storage), with the floor of today along: the
      // table-days and open checks `loadDay` asks for next come in this one request (kept by
      // the catch-up until asked for; a store already here makes no request at all).
      const id = documentIdOf(url)
      if (id) {
        const at = hlcMs(this.#parts.clock.now())
        await catchUp.fetch([id], { load: true, floor: { store: id, at } })
      }
      const h = await docs.open<StoreDoc>(url, { timeoutMs: findTimeoutMs }).catch((e: unknown) => {
        // Let a later ready() try again (the hub may be reachable by then).
        this.#loading = undefined
        throw e
      })
      this.#adopt(h)
      logger.debug({ phase: 'store-ready', url }, 'store document ready')
      void storage
        .save(DeviceKeys.storeUrl, new TextEncoder().encode(url))
        .catch((err: unknown) =>
          logger.warn({ err, url }, 'could not remember the store URL in storage'),
        )
      return h
    })()
    return this.#loading
  }

  /**
   * Creates a new store (back office / first start): one document per table, then the store
   * document listing them. The device adopts it. Resolves when everything is saved.
   */
  async create(init: NewStore): Promise<{ storeUrl: AutomergeUrl }> {
    this.#parts.assertOpen()
    const { repo, docs, storage, clock } = this.#parts
    const { tableDaysFrom: from = businessDate(clock.now(), init), ...config } = init
    // The table documents of a store on table-days from today are retired from the start.
    const retired = from !== null && from <= businessDate(clock.now(), init)
    // Ids bound to the store (see docs/create-bound.ts): the relay refuses them to other stores.
    const tables = await Promise.all(
      config.tables.map(async (t) => {
        const handle = await createStoreBoundDoc<TableDoc>(
          repo,
          init.storeId,
          initTableDoc(init.storeId, t.id),
        )
        if (retired) handle.update((d) => retireTable(d))
        return { info: t, handle }
      }),
    )
    const storeInit: StoreInit = {
      ...config,
      ...(from !== null ? { tableDaysFrom: from } : {}),
      tables: Object.fromEntries(
        tables.map(({ info, handle }) => [info.id, { ...info, url: handle.url }]),
      ),
    }
    const storeHandle = await createStoreBoundDoc<StoreDoc>(
      repo,
      init.storeId,
      initStoreDoc(storeInit),
    )
    for (const { handle } of tables) docs.track(handle as DocHandle<unknown>)
    this.#url = storeHandle.url
    this.#adopt(storeHandle)
    await Promise.all([
      docs.saved([
        storeHandle as DocHandle<unknown>,
        ...tables.map((t) => t.handle as DocHandle<unknown>),
      ]),
      storage.save(DeviceKeys.storeUrl, new TextEncoder().encode(storeHandle.url)),
    ])
    return { storeUrl: storeHandle.url }
  }

  #adopt(handle: DocHandle<StoreDoc>): void {
    if (this.#handle === handle) return
    this.#handle = handle
    this.#parts.docs.track(handle as DocHandle<unknown>)
    this.#refresh(handle)
  }

  #refresh(handle: DocHandle<StoreDoc>): void {
    const store = decode<StoreData>(handle.doc())
    // Two managers opting in at once leave two dates: the earliest counts (core's tableDaysFrom).
    const from = tableDaysFrom(handle.doc())
    this.#store = from === undefined ? store : { ...store, tableDaysFrom: from }
    for (const cb of [...this.#listeners]) cb(this.#store)
  }
}
