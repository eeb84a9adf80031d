/*
 * What the print bridge says about the printers, asked every few seconds: whether it answers at
 * all, each printer's state and queue, and tickets that may not have printed. The status bar
 * shows this instead of assuming the printers are fine.
 */

/** Where the store's print bridge reports its status (the pairing's `printerStatusUrl`). */
export interface PrinterStatusSource {
  readonly url: string
  /** The device token, sent as a Bearer header (never in the URL). */
  readonly token: string
}

/** The part of the bridge's status (@tabsync/printer `BridgeStatus`) the terminal reads. */
export interface BridgeView {
  readonly printers: readonly {
    readonly id: string
    readonly name: string
    readonly state: string
    readonly queue: readonly unknown[]
  }[]
  readonly needsConfirmation: readonly unknown[]
}

/** The bridge as last seen. */
export interface PrinterWatch {
  /** undefined before the first answer (or with no bridge configured), then true/false. */
  readonly reachable: boolean | undefined
  /** The last status the bridge gave; undefined while unreachable. */
  readonly bridge: BridgeView | undefined
  stop(): void
}

/** How often the bridge is asked, and how long an answer may take before it counts as down. */
export const PRINTER_POLL_MS = 3000
export const PRINTER_TIMEOUT_MS = 2500

class Watch implements PrinterWatch {
  reachable = $state<boolean | undefined>()
  bridge = $state.raw<BridgeView | undefined>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped = false
  #source: PrinterStatusSource

  constructor(source: PrinterStatusSource) {
    this.#source = source
    void this.#poll()
  }

  async #poll() {
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), PRINTER_TIMEOUT_MS)
    try {
      const res = await fetch(this.#source.url, {
        cache: 'no-store',
        headers: { authorization: `Bearer ${this.#source.token}` },
        signal: ctl.signal,
      })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      this.bridge = (await res.json()) as BridgeView
      this.reachable = true
    } catch {
      // No answer, an error page, or a server with no bridge: the printers cannot be reached.
      this.bridge = undefined
      this.reachable = false
    } finally {
      clearTimeout(timer)
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#poll(), PRINTER_POLL_MS)
  }

  stop() {
    this.#stopped = true
    clearTimeout(this.#timer)
  }
}

/** Starts asking the bridge; with no source, nothing is known (`reachable` stays undefined). */
export function watchPrinters(source: PrinterStatusSource | undefined): PrinterWatch {
  if (!source) return { reachable: undefined, bridge: undefined, stop: () => undefined }
  return new Watch(source)
}
