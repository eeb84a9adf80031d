/*
 * The words of the status bar, from real state only: what the sync layer counts as waiting,
 * when a hub or relay last confirmed, and what the print bridge says. Pure, so each text is
 * tested on its own.
 */
import type { BridgeView } from './printer-watch.svelte.js'

/** A pill of the status bar. */
export interface StatusText {
  readonly text: string
  readonly tone: 'ok' | 'warn' | 'bad'
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** "All sent", or "3 orders · 14 changes waiting" (other documents count as changes only). */
export function waitingText(s: {
  readonly unsynced: number
  readonly unsyncedOrders: number
  readonly unsyncedChanges: number
}): StatusText {
  if (s.unsynced === 0) return { text: 'All sent', tone: 'ok' }
  const changes = plural(Math.max(s.unsyncedChanges, s.unsynced), 'change', 'changes')
  const text =
    s.unsyncedOrders > 0
      ? `${plural(s.unsyncedOrders, 'order', 'orders')} · ${changes} waiting`
      : `${changes} waiting`
  return { text, tone: 'warn' }
}

/** What the sync pill needs of the status: the state, each endpoint's own state, outdated servers. */
export interface ConnectionView {
  readonly state: string
  readonly endpoints: readonly { readonly state: string }[]
  readonly outdated?: readonly { readonly url: string; readonly missing: readonly string[] }[]
}

/**
 * The sync pill. An endpoint that refused this device's token, or refused one of its changes,
 * is not "offline": retrying will not help and staff must call a manager, so it says so first;
 * so does a relay too old for the store (its operator must update it).
 */
export function connectionText(s: ConnectionView): StatusText {
  if (s.endpoints.some((e) => e.state === 'token-rejected')) {
    return { text: 'Signed out: ask a manager to pair this device', tone: 'bad' }
  }
  if (s.endpoints.some((e) => e.state === 'refused')) {
    return { text: 'Change refused: not allowed for this device', tone: 'bad' }
  }
  // A relay older than what the store uses refuses its table-days: other floors miss new checks.
  if ((s.outdated?.length ?? 0) > 0) {
    return { text: 'Relay out of date: other devices may not see new checks', tone: 'bad' }
  }
  switch (s.state) {
    case 'offline':
      return { text: 'Offline', tone: 'warn' }
    case 'via-hub':
      return { text: 'Via hub', tone: 'ok' }
    case 'via-relay':
      return { text: 'Online (hub down)', tone: 'warn' }
    default:
      return { text: 'Online', tone: 'ok' }
  }
}

/** What a printer state reads as on the bar (the bridge's `PrinterState` values). */
const STATE_WORDS: Readonly<Record<string, string>> = {
  offline: 'unreachable',
  'paper-out': 'out of paper',
  'not-ready': 'not ready',
  error: 'failed a ticket',
}

/**
 * The printer pill: from the bridge's own answer. `unprinted` is what the documents say
 * (tickets fired and not recorded printed), shown as waiting when the bridge cannot be asked.
 */
export function printerText(
  watch: { readonly reachable: boolean | undefined; readonly bridge: BridgeView | undefined },
  unprinted: number,
): StatusText {
  const waiting = unprinted > 0 ? ` · ${unprinted} waiting` : ''
  if (watch.reachable === false) return { text: `Printers unreachable${waiting}`, tone: 'bad' }
  const bridge = watch.bridge
  if (!bridge) {
    return unprinted > 0
      ? { text: `${unprinted} to print`, tone: 'warn' }
      : { text: 'Printers not checked', tone: 'warn' }
  }
  const uncertain = bridge.needsConfirmation.length
  if (uncertain > 0) {
    return { text: `${uncertain} may not have printed`, tone: 'bad' }
  }
  const down = bridge.printers.filter((p) => STATE_WORDS[p.state] !== undefined)
  if (down.length > 0) {
    const queued = down.reduce((n, p) => n + p.queue.length, 0)
    const names = down.map((p) => `${p.name} ${STATE_WORDS[p.state]}`).join(', ')
    return { text: `${names}${queued > 0 ? ` · ${queued} waiting` : ''}`, tone: 'bad' }
  }
  if (unprinted > 0) return { text: `${unprinted} to print`, tone: 'warn' }
  return { text: 'Printers OK', tone: 'ok' }
}
