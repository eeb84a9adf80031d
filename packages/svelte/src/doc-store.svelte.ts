/*
 * Svelte 5 runes bindings of Tabsync: an automerge-repo document handle (or any subscribable
 * source, such as a device's sync status) as a rune value. Read-only on purpose: screens never
 * write to `current`; every edit goes through a core command (`device.run`), which changes the
 * handle, which updates `current`. This file keeps its runes: it ships as `.svelte.js`, compiled
 * by the application's Svelte compiler, as Svelte libraries do.
 */
import type { DocHandle } from '@automerge/automerge-repo/slim'
import type { DayOrder, Device, SyncStatus, WatchDaysOptions } from '@tabsync/sync'

/** A reactive, read-only view of a source that pushes values. */
export interface Reactive<V> {
  /** The latest value; reading it inside an effect or template subscribes to it. */
  readonly current: V
  /** Stops listening to the source. */
  destroy(): void
}

class Bound<V> implements Reactive<V> {
  #value: V = $state.raw() as V
  #stop: () => void = () => {}

  constructor(initial: V) {
    this.#value = initial
  }

  get current(): V {
    return this.#value
  }

  set(value: V) {
    this.#value = value
  }

  listen(stop: () => void) {
    this.#stop = stop
  }

  destroy() {
    this.#stop()
    this.#stop = () => {}
  }
}

/**
 * Binds a document handle: `current` is `select(doc)` and follows every local or remote change.
 * `select` derives what the screen needs (e.g. core's `summarizeOrder`) once per change.
 *
 * @example
 * const order = bindDoc(handle, summarizeOrder)
 * // in markup: {formatMoney(order.current.totals.total, currency)}
 */
export function bindDoc<T, V>(handle: DocHandle<T>, select: (doc: T) => V): Reactive<V> {
  const bound = new Bound<V>(select(handle.doc() as T))
  const onChange = ({ doc }: { doc: unknown }) => bound.set(select(doc as T))
  handle.on('change', onChange)
  bound.listen(() => handle.off('change', onChange))
  return bound
}

/**
 * Binds a push source such as `device.watchOrder(url, cb)` or `device.onStatus(cb)`.
 *
 * @example
 * const status = bindSource(device.status(), (cb) => device.onStatus(cb))
 */
export function bindSource<V>(
  initial: V,
  subscribe: (cb: (value: V) => void) => () => void,
): Reactive<V> {
  const bound = new Bound<V>(initial)
  bound.listen(subscribe((value) => bound.set(value)))
  return bound
}

/**
 * For a component's lifetime, `current` is the latest value `watch` pushed, such as
 * `device.watchOrder(url, cb)`'s order summary; when what `watch` reads changes (a screen's `url`
 * prop), the old subscription is stopped and a new one made. `current` is undefined until the
 * first value; it keeps the previous source's value until the new one pushes.
 *
 * @example
 * const order = bindWatch<OrderSummary>((cb) => device.watchOrder(url, cb))
 * // in markup: {#if order.current}{order.current.status.status}{/if}
 */
export function bindWatch<V>(watch: (cb: (value: V) => void) => () => void): {
  readonly current: V | undefined
} {
  let value = $state.raw<V>()
  $effect(() =>
    watch((v) => {
      value = v
    }),
  )
  return {
    get current() {
      return value
    },
  }
}

/**
 * For a component's lifetime, `current` is `select` of the document `find()` resolves to; when
 * what `find` reads changes (a screen's `url` prop), the old handle is dropped and the new one
 * bound. `current` is undefined until the document is found.
 *
 * @example
 * const order = bindFound(() => repo.find<OrderDoc>(url), summarizeOrder)
 */
export function bindFound<T, V>(
  find: () => Promise<DocHandle<T>>,
  select: (doc: T) => V,
): { readonly current: V | undefined } {
  let bound = $state.raw<Reactive<V>>()
  $effect(() => {
    let alive = true
    let b: Reactive<V> | undefined
    void find().then((handle) => {
      if (!alive) return
      b = bindDoc(handle, select)
      bound = b
    })
    return () => {
      alive = false
      b?.destroy()
    }
  })
  return {
    get current() {
      return bound?.current
    },
  }
}

/**
 * A device's sync status as a rune value (`current.state`, `current.unsynced`, ...), following
 * every change until `destroy()`.
 *
 * @example
 * const status = bindStatus(device)
 * // in markup: {status.current.state} ({status.current.unsynced} to sync)
 */
export function bindStatus(device: Pick<Device, 'status' | 'onStatus'>): Reactive<SyncStatus> {
  return bindSource(device.status(), (cb) => device.onStatus(cb))
}

/** The last business days of a device as rune values (see {@link bindDays}). */
export interface ReactiveDays extends Reactive<readonly DayOrder[]> {
  /** Watched business dates, newest first. */
  readonly dates: readonly string[]
  /** Documents still being looked for (0: everything the days reference is here). */
  readonly loading: number
}

/**
 * `device.watchDays(options)` as rune values: `current` is the loaded orders of the watched
 * business days (new array on every change), with `dates` and `loading`. `destroy()` closes the
 * view.
 *
 * @example
 * const days = bindDays(device)
 * // in markup: {#each days.current as o (o.url)}<Tile order={o.order} />{/each}
 */
export function bindDays(
  device: Pick<Device, 'watchDays'>,
  options: WatchDaysOptions = {},
): ReactiveDays {
  const view = device.watchDays(options)
  let orders = $state.raw(view.orders())
  let dates = $state.raw(view.dates())
  let loading = $state(view.loading())
  const off = view.onChange(() => {
    orders = view.orders()
    dates = view.dates()
    loading = view.loading()
  })
  return {
    get current() {
      return orders
    },
    get dates() {
      return dates
    },
    get loading() {
      return loading
    },
    destroy() {
      off()
      view.close()
    },
  }
}
