import type { Logger } from 'pino'
import { createPrintBridge, type PrintBridge } from '../bridge/print-bridge.js'
import { startFakePrinter, type FakePrinter, type FakeReceipt } from '../fake/fake-printer.js'
import { formatReceipt } from '../cli/fake-printer-main.js'
import { startStatusServer, type StatusServer } from '../http/status-server.js'
import type { TicketSource } from '../source/ticket-source.js'

/** Options of {@link startDemoPrintStation}. */
export interface DemoPrintStationOptions {
  readonly source: TicketSource
  readonly dataDir: string
  /** Printer ids of the store document. Default: the demo store's two printers. */
  readonly printerIds?: readonly string[]
  /** Where decoded tickets go. Default: stdout, framed like paper. */
  readonly onReceipt?: (printerId: string, receipt: FakeReceipt) => void
  /** Status server port (0 = any); omit for none. */
  readonly statusPort?: number
  readonly logger?: Logger
}

/** A running demo print station. */
export interface DemoPrintStation {
  readonly bridge: PrintBridge
  readonly printers: ReadonlyMap<string, FakePrinter>
  readonly status: StatusServer | undefined
  stop(): Promise<void>
}

/**
 * For the demo and local development: one fake printer per store printer and a bridge printing
 * to them, so a ticket fired in the terminal shows up as text on stdout.
 *
 * @example
 * const station = await startDemoPrintStation({ source: createDeviceSource(device), dataDir })
 */
export async function startDemoPrintStation(
  options: DemoPrintStationOptions,
): Promise<DemoPrintStation> {
  const ids = options.printerIds ?? ['kitchen-printer', 'bar-printer']
  const onReceipt =
    options.onReceipt ??
    ((id: string, r: FakeReceipt) => process.stdout.write(`[${id}]\n${formatReceipt(r)}`))
  const printers = new Map<string, FakePrinter>()
  for (const id of ids) {
    printers.set(id, await startFakePrinter({ onReceipt: (r) => onReceipt(id, r) }))
  }
  const bridge = createPrintBridge({
    source: options.source,
    dataDir: options.dataDir,
    printers: [...printers].map(([id, p]) => ({ id, url: p.url })),
    ...(options.logger ? { logger: options.logger } : {}),
  })
  const status =
    options.statusPort === undefined
      ? undefined
      : // Loopback demo: open actions and any origin, as before (the real bridge authenticates).
        await startStatusServer({
          bridge,
          port: options.statusPort,
          insecureOpenActions: true,
          allowOrigin: '*',
        })
  return {
    bridge,
    printers,
    status,
    async stop() {
      await bridge.stop()
      await status?.close()
      for (const p of printers.values()) await p.close()
    },
  }
}
