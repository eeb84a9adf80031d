import * as path from 'node:path'
import { pino } from 'pino'
import { openDevice } from '@tabsync/sync'
import { isPrinterError } from '../errors.js'
import { createPrintBridge } from '../bridge/print-bridge.js'
import { createDeviceSource } from '../source/device-source.js'
import { startStatusServer, type StatusServer } from '../http/status-server.js'
import { BRIDGE_USAGE, parseBridgeArgs } from './bridge-args.js'

/** `tabsync-printer`: runs a print bridge until SIGINT/SIGTERM. Returns the exit code. */
export async function runBridgeCli(argv: readonly string[]): Promise<number> {
  let config
  try {
    config = parseBridgeArgs(argv)
  } catch (e) {
    if (!isPrinterError(e)) throw e
    process.stderr.write(`tabsync-printer: ${e.message}\n\n${BRIDGE_USAGE}`)
    return 2
  }
  if (config === 'help') {
    process.stdout.write(BRIDGE_USAGE)
    return 0
  }
  const log = pino({ level: config.logLevel, base: { deviceId: config.deviceId } })
  const device = await openDevice({
    deviceId: config.deviceId,
    storeUrl: config.storeUrl,
    ...(config.token ? { token: config.token } : {}),
    endpoints: config.endpoints,
    storage: { directory: path.join(config.dataDir, 'documents') },
  })
  const source = createDeviceSource(device)
  const bridge = createPrintBridge({
    source,
    dataDir: config.dataDir,
    printers: config.printers,
    logger: log,
    ...(config.columns ? { render: { columns: config.columns } } : {}),
  })
  let server: StatusServer | undefined
  if (config.http) {
    server = await startStatusServer({ bridge, host: config.http.host, port: config.http.port })
    log.info({ url: server.url }, 'status server listening (GET /status, POST /reprint/:id)')
  }
  log.info(
    { store: config.storeUrl, endpoints: config.endpoints, printers: config.printers },
    'print bridge started',
  )
  device
    .ready()
    .then(() => log.info({ store: device.store().name }, 'store loaded'))
    .catch((e: unknown) => log.error({ err: e }, 'store not loaded'))

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  log.info('stopping')
  await bridge.stop()
  await server?.close()
  await source.close()
  await device.close()
  return 0
}
