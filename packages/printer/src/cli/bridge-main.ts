import * as path from 'node:path'
import { pino } from 'pino'
import { openDevice, redactSecrets } from '@tabsync/sync'
import { isPrinterError } from '../errors.js'
import { createPrintBridge } from '../bridge/print-bridge.js'
import { createDeviceSource } from '../source/device-source.js'
import { startStatusServer, type StatusServer } from '../http/status-server.js'
import { storeTokenAuthorizer } from '../http/store-token-auth.js'
import { startFakePrinter, type FakePrinter } from '../fake/fake-printer.js'
import { BRIDGE_USAGE, FAKE_PRINTER, parseBridgeArgs, readTokenClaims } from './bridge-args.js'
import { formatReceipt } from './fake-printer-main.js'
import { PRINTER_VERSION } from './version.js'

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
  if (config === 'version') {
    process.stdout.write(PRINTER_VERSION + '\n')
    return 0
  }
  // Opening the device's storage takes a while on a loaded machine: say so before it starts.
  process.stderr.write(
    `tabsync-printer ${PRINTER_VERSION}: starting, store ${config.storeUrl}, data ${config.dataDir}\n`,
  )
  // Logs on stderr: stdout is for tickets of fake printers. Every line is scrubbed of tokens
  // (a JWT, `token=`, a bearer header) however it got there.
  const log = pino(
    {
      level: config.logLevel,
      base: { deviceId: config.deviceId },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
      hooks: { streamWrite: redactSecrets },
    },
    pino.destination(2),
  )
  const device = await openDevice({
    deviceId: config.deviceId,
    storeUrl: config.storeUrl,
    ...(config.token ? { token: config.token } : {}),
    endpoints: config.endpoints,
    storage: { directory: path.join(config.dataDir, 'documents') },
    logger: log, // the device's failures in the bridge's pino log
  })
  const fakes: FakePrinter[] = []
  const printers = []
  for (const p of config.printers) {
    if (p.url !== FAKE_PRINTER) {
      printers.push(p)
      continue
    }
    const fake = await startFakePrinter({
      onReceipt: (r) => process.stdout.write(`[${p.id}]\n${formatReceipt(r)}`),
    })
    fakes.push(fake)
    printers.push({ id: p.id, url: fake.url })
    log.info({ printerId: p.id, url: fake.url }, 'fake printer: tickets print on stdout')
  }
  const source = createDeviceSource(device)
  const bridge = createPrintBridge({
    source,
    dataDir: config.dataDir,
    printers,
    logger: log,
    ...(config.columns ? { render: { columns: config.columns } } : {}),
  })
  let server: StatusServer | undefined
  if (config.http) {
    // Confirm/reprint need a store token (terminal or back office) verified with the relay's
    // TABSYNC_SECRET; without it they answer 401. CORS only for TABSYNC_PRINTER_ALLOW_ORIGIN.
    const secret = process.env['TABSYNC_SECRET']
    const storeId = config.token ? readTokenClaims(config.token)?.stores[0] : undefined
    const origin = process.env['TABSYNC_PRINTER_ALLOW_ORIGIN']
    if (!secret || !storeId)
      log.warn('TABSYNC_SECRET or store token missing: confirm/reprint refused')
    server = await startStatusServer({
      bridge,
      host: config.http.host,
      port: config.http.port,
      ...(secret && storeId ? { authorize: storeTokenAuthorizer({ secret, storeId }) } : {}),
      ...(origin ? { allowOrigin: origin } : {}),
    })
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
  for (const f of fakes) await f.close()
  return 0
}
