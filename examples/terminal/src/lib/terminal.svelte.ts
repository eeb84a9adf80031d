/*
 * App-wide reactive state of the terminal: the device, the store, the recent orders with their
 * summaries, sync status, the current screen, and staff-facing messages. Screens read from here
 * and act through `run` (a core command on an order), never by writing document fields.
 */
import type { AutomergeUrl } from '@automerge/automerge-repo'
import {
  cancelOrder,
  formatMoney,
  hlcMs,
  isTabsyncError,
  keepChecksApart,
  tableForks,
  type TableFork,
  type CommandContext,
  type Conflict,
  type OrderDoc,
  type OrderSummary,
  type StoreData,
} from '@tabsync/core'
import type { Device, SyncStatus } from './device.js'
import { elapsedText, type PlanArea } from './floor-snapshot.js'
import { floorPlan, floorTables, type FloorOrder, type FloorTable } from './floor-plan.js'
import { humanMessage } from './messages.js'
import {
  watchPrinters,
  type PrinterWatch,
  type PrinterStatusSource,
} from './printer-watch.svelte.js'

/** The screens of the terminal. */
export const Screen = {
  floor: 'floor',
  order: 'order',
  check: 'check',
  kitchen: 'kitchen',
  reports: 'reports',
  review: 'review',
} as const
export type Screen = (typeof Screen)[keyof typeof Screen]

export { TableState, type FloorTable } from './floor-plan.js'

export interface ReviewItem {
  readonly url: AutomergeUrl
  readonly summary: OrderSummary
  readonly conflict: Conflict
  /** For a table with two open checks: the fork and its checks, oldest first. */
  readonly fork?: {
    readonly fork: TableFork
    readonly checks: readonly { readonly url: AutomergeUrl; readonly summary: OrderSummary }[]
  }
}

export interface Route {
  readonly screen: Screen
  readonly url?: AutomergeUrl
}

function parseHash(): Route {
  const [screen, ...rest] = location.hash.replace(/^#\/?/, '').split('/')
  const url = rest.join('/')
  const known = Object.values(Screen) as string[]
  if (!screen || !known.includes(screen)) return { screen: 'floor' }
  return url.startsWith('automerge:')
    ? { screen: screen as Screen, url: url as AutomergeUrl }
    : { screen: screen as Screen }
}

/** The state of one terminal. */
export class Terminal {
  readonly device: Device
  readonly deviceName: string
  readonly storeName: string
  store = $state.raw<StoreData>() as StoreData
  orders = $state.raw(new Map<AutomergeUrl, OrderSummary>())
  /** What the floor shows of each recent order: its summary, or its digest until it is open. */
  floorOrders = $state.raw<[AutomergeUrl, FloorOrder][]>([])
  status = $state.raw<SyncStatus>() as SyncStatus
  /** Calibrated clock time (ms), ticking every second for elapsed times. */
  now = $state(0)
  route = $state.raw<Route>(parseHash())
  message = $state.raw<{ text: string; tone: 'error' | 'ok' } | undefined>()
  #stops: (() => void)[] = []
  #messageTimer: ReturnType<typeof setTimeout> | undefined
  #refreshQueued = false

  /** The print bridge as last seen (reachable, its printers and queues). */
  readonly printers: PrinterWatch

  constructor(
    device: Device,
    deviceName: string,
    storeName: string,
    printerStatus?: PrinterStatusSource,
  ) {
    this.device = device
    this.deviceName = deviceName
    this.storeName = storeName
    this.printers = watchPrinters(printerStatus)
    this.#stops.push(() => this.printers.stop())
    this.store = device.store()
    this.status = device.status()
    this.now = device.clock.physicalMs()
    this.#refreshOrders()
    this.#stops.push(
      device.onStore((s) => (this.store = s)),
      device.onStatus((s) => (this.status = s)),
      device.onChange((e) => {
        if (e.kind === 'order') this.#queueRefresh()
      }),
    )
    const tick = setInterval(() => (this.now = device.clock.physicalMs()), 1000)
    this.#stops.push(() => clearInterval(tick))
    const onHash = () => (this.route = parseHash())
    window.addEventListener('hashchange', onHash)
    this.#stops.push(() => window.removeEventListener('hashchange', onHash))
  }

  #queueRefresh() {
    if (this.#refreshQueued) return
    this.#refreshQueued = true
    queueMicrotask(() => {
      this.#refreshQueued = false
      this.#refreshOrders()
    })
  }

  #refreshOrders() {
    this.orders = new Map(this.device.loadedOrders().map((e) => [e.url, e.summary]))
    this.floorOrders = this.device.floorOrders()
  }

  /** Today's business date on this device's calibrated clock. */
  today = $derived.by(() => {
    void this.now
    return this.device.today()
  })

  /** Every table with its state, by area, in the store's order. */
  floor = $derived.by((): Map<string, FloorTable[]> => floorTables(this.store, this.floorOrders))

  /**
   * The floor in plain data (amounts formatted), as the floor plan draws it and as the floor
   * snapshot keeps it for the next start.
   */
  plan = $derived.by((): PlanArea[] => floorPlan(this.store, this.floor))

  /** Conflicts of every loaded order, for the review list. */
  review = $derived.by((): ReviewItem[] => {
    const out: ReviewItem[] = []
    for (const [url, summary] of this.orders)
      for (const conflict of summary.conflicts) out.push({ url, summary, conflict })
    // Two open checks on one table: flagged on every device that has both orders.
    const urlOf = new Map([...this.orders].map(([url, s]) => [s.order.orderId, url]))
    for (const fork of tableForks([...this.orders.values()])) {
      if (fork.accepted) continue
      const checks = fork.orderIds.flatMap((id) => {
        const url = urlOf.get(id)
        const summary = url && this.orders.get(url)
        return url && summary ? [{ url, summary }] : []
      })
      const first = checks[0]
      if (!first) continue
      out.push({
        url: first.url,
        summary: first.summary,
        conflict: {
          id: fork.id,
          kind: fork.kind,
          message: fork.message,
          actions: fork.actions,
          invariant: fork.invariant,
        },
        fork: { fork, checks },
      })
    }
    return out.sort((a, b) => (a.summary.order.openedAt < b.summary.order.openedAt ? -1 : 1))
  })

  /** Tickets waiting for a printer across loaded orders (fired, not printed, not duplicates). */
  unprinted = $derived.by(() => {
    let n = 0
    for (const s of this.orders.values())
      for (const t of s.tickets) if (!t.printed && !t.duplicate && !t.bumped) n++
    return n
  })

  go(screen: Screen, url?: AutomergeUrl) {
    const hash = url ? `#/${screen}/${url}` : `#/${screen}`
    if (location.hash !== hash) location.hash = hash
    this.route = url ? { screen, url } : { screen }
  }

  /** Minor units in the store's currency, formatted by core. */
  formatPrice(minor: number): string {
    return formatMoney(minor, this.store.currency)
  }

  /** "Table 5" for numbered tables, the label itself for "Bar 1", "P2", "Takeaway 1". */
  tableLabel(tableId: string): string {
    const label = this.store.tables[tableId]?.label ?? tableId
    return /^\d+$/.test(label) ? `Table ${label}` : label
  }

  deviceLabel(deviceId: string): string {
    if (deviceId === this.device.deviceId) return this.deviceName
    return this.store.devices[deviceId]?.name ?? deviceId
  }

  elapsed(at: string): string {
    return elapsedText(hlcMs(at), this.now)
  }

  /** Shows why an action was refused, in staff's words (see messages.ts). */
  fail(e: unknown) {
    if (!(e instanceof Error && e.name === 'TabsyncError')) console.error(e)
    this.say(humanMessage(e, { money: (m) => this.formatPrice(m) }), 'error')
  }

  say(text: string, tone: 'error' | 'ok' = 'ok') {
    this.message = { text, tone }
    clearTimeout(this.#messageTimer)
    this.#messageTimer = setTimeout(
      () => (this.message = undefined),
      tone === 'error' ? 6000 : 2500,
    )
  }

  /**
   * Runs a core command on an order and reports refusals in words. Resolves with the command's
   * result once saved locally, or undefined when core refused it.
   */
  async run<R>(
    url: AutomergeUrl,
    command: (doc: OrderDoc, ctx: CommandContext) => R,
    done?: string,
  ): Promise<R | undefined> {
    try {
      const result = await this.device.run(url, command)
      if (done) this.say(done)
      return result
    } catch (e) {
      this.fail(e)
      return undefined
    }
  }

  /** Moves a check to another table (one device call over the order and the new table). */
  async moveCheck(url: AutomergeUrl, tableId: string, done: string): Promise<boolean> {
    try {
      await this.device.moveOrder(url, tableId)
      this.say(done)
      return true
    } catch (e) {
      this.fail(e)
      return false
    }
  }

  /**
   * Combines the checks of a table fork into its oldest check: every line and payment of the
   * others moves there (an appended transfer on both documents), on this device, synced to all.
   */
  async combineChecks(item: ReviewItem): Promise<void> {
    const checks = item.fork?.checks ?? []
    const [target, ...sources] = checks
    if (!target) return
    try {
      for (const source of sources) await this.device.transferOrder(source.url, target.url)
      this.#refreshOrders()
      this.say('Checks combined')
    } catch (e) {
      this.say(isTabsyncError(e) ? e.message : `Could not combine: ${String(e)}`, 'error')
    }
  }

  /** Keeps the checks of a table fork apart on purpose (two parties at one table). */
  async keepChecksApart(item: ReviewItem): Promise<void> {
    const fork = item.fork?.fork
    if (!fork) return
    await this.run(
      item.url,
      (d, ctx) => keepChecksApart(d, ctx, { fork }),
      'Kept as separate checks',
    )
  }

  /** Cancels an empty check: it leaves the floor and counts as cancelled in reports. */
  async cancelCheck(url: AutomergeUrl): Promise<boolean> {
    const done = await this.run(
      url,
      (d, ctx) => cancelOrder(d, ctx, { reason: 'opened by mistake' }),
      'Check cancelled',
    )
    return done !== undefined
  }

  async openTable(tableId: string, guests?: number): Promise<AutomergeUrl | undefined> {
    try {
      const { url } = await this.device.openOrder(tableId, guests !== undefined ? { guests } : {})
      this.#refreshOrders()
      return url
    } catch (e) {
      this.fail(e)
      return undefined
    }
  }

  destroy() {
    this.#stops.forEach((stop) => stop())
  }
}
