import { parseArgs } from 'node:util'
import * as fs from 'node:fs'
import {
  ProtocolError,
  decodeJwtPayload,
  decodeTokenClaimsUnverified,
  tokenClaimsSchema,
  type TokenClaimsPayload,
} from '@tabsync/protocol'
import { PrinterError, PrinterErrorKind } from '../errors.js'
import { parsePrinterUrl } from '../transport/printer-url.js'
import type { PrinterConfig } from '../bridge/printer-worker.js'

/** `--printer <id>=fake`: an in-process fake printer whose tickets go to stdout (the demo). */
export const FAKE_PRINTER = 'fake'

/** Everything `tabsync-printer` needs, from flags and environment. */
export interface BridgeConfig {
  readonly storeUrl: string
  readonly endpoints: string[]
  readonly token: string | undefined
  readonly dataDir: string
  readonly deviceId: string
  readonly printers: PrinterConfig[]
  /** Status server address, or undefined when disabled (`--http off`). */
  readonly http: { host: string; port: number } | undefined
  readonly columns: number | undefined
  readonly logLevel: string
}

/** The `--help` text. */
export const BRIDGE_USAGE = `Usage: tabsync-printer --store <automerge:...> --printer <id>=tcp://host:9100 [options]

Prints every kitchen ticket routed to its printers' stations, exactly once.

  --store <url>           store document URL                  (env TABSYNC_STORE)
  --endpoint <ws-url>     sync endpoint, repeatable; usually the in-store hub
                          e.g. ws://hub.local:8787/sync        (env TABSYNC_ENDPOINTS, comma-separated)
  --token <jwt>           device token (role printer)         (env TABSYNC_TOKEN)
  --token-file <path>     read the token from a file
  --data-dir <dir>        ledger + document storage           (env TABSYNC_DATA_DIR, default ./.tabsync/printer)
  --device-id <id>        default: the token's subject, else "printer"
  --printer <id>=<url>    a printer this bridge owns; id as in the store document, url
                          tcp://host[:9100][?probe=0][&columns=48]. Repeatable, at least one.
                          url "fake": an in-process fake printer printing tickets to stdout (demo)
  --http <host:port|off>  status server for terminals           (default 127.0.0.1:8790)
  --columns <n>           characters per line (default 42)
  --log-level <level>     pino level (default info)
  --help, -h              this text
  --version, -V           the version of @tabsync/printer
`

/**
 * Parses `tabsync-printer` arguments (and TABSYNC_* environment variables). Throws a `config`
 * {@link PrinterError} with a message for the operator on anything wrong.
 */
export function parseBridgeArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): BridgeConfig | 'help' | 'version' {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        store: { type: 'string' },
        endpoint: { type: 'string', multiple: true },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'data-dir': { type: 'string' },
        'device-id': { type: 'string' },
        printer: { type: 'string', multiple: true },
        http: { type: 'string' },
        columns: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
      strict: true,
    })
  } catch (e) {
    throw new PrinterError(PrinterErrorKind.config, e instanceof Error ? e.message : String(e))
  }
  const v = parsed.values
  if (v.version) return 'version'
  if (v.help) return 'help'
  const fail = (message: string): never => {
    throw new PrinterError(PrinterErrorKind.config, message)
  }
  const storeUrl = v.store ?? env['TABSYNC_STORE'] ?? fail('--store is required')
  if (!storeUrl.startsWith('automerge:')) fail(`--store must be an automerge: URL, got ${storeUrl}`)
  const endpoints =
    v.endpoint ??
    (env['TABSYNC_ENDPOINTS'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  for (const e of endpoints) {
    if (!/^wss?:\/\//.test(e)) fail(`--endpoint must be a ws:// or wss:// URL, got ${e}`)
  }
  let token = v.token ?? env['TABSYNC_TOKEN']
  if (v['token-file']) token = fs.readFileSync(v['token-file'], 'utf8').trim()
  const printers = (v.printer ?? []).map((spec) => {
    const eq = spec.indexOf('=')
    if (eq <= 0) fail(`--printer must be <id>=tcp://host:port, got ${spec}`)
    const id = spec.slice(0, eq)
    const url = spec.slice(eq + 1)
    if (url !== FAKE_PRINTER) parsePrinterUrl(url) // validates
    return { id, url }
  })
  if (printers.length === 0) fail('at least one --printer <id>=tcp://host:9100 is required')
  const ids = printers.map((p) => p.id)
  if (new Set(ids).size !== ids.length) fail('each printer id may be given once')
  let http: BridgeConfig['http'] = { host: '127.0.0.1', port: 8790 }
  if (v.http === 'off') http = undefined
  else if (v.http !== undefined) {
    const m = /^(?:(.+):)?(\d+)$/.exec(v.http)
    if (!m) fail(`--http must be host:port, port or off, got ${v.http}`)
    http = { host: m![1] ?? '127.0.0.1', port: Number(m![2]) }
  }
  const columns = v.columns === undefined ? undefined : Number(v.columns)
  if (columns !== undefined && !(Number.isInteger(columns) && columns >= 24 && columns <= 80)) {
    fail('--columns must be a whole number from 24 to 80')
  }
  return {
    storeUrl,
    endpoints,
    token,
    dataDir: v['data-dir'] ?? env['TABSYNC_DATA_DIR'] ?? './.tabsync/printer',
    deviceId: v['device-id'] ?? (token ? tokenSubject(token) : undefined) ?? 'printer',
    printers,
    http,
    columns,
    logLevel: v['log-level'] ?? 'info',
  }
}

/**
 * The claims of the bridge's token, read without verifying (the relay verifies; the bridge needs
 * its own name and store). Undefined for a token that is not a Tabsync token: the relay will
 * refuse it, and the bridge says so then rather than failing to start.
 */
export function readTokenClaims(token: string): TokenClaimsPayload | undefined {
  try {
    return decodeTokenClaimsUnverified(token)
  } catch (e) {
    if (e instanceof ProtocolError) return undefined
    throw e
  }
}

/** The `sub` claim alone: the bridge's name, even from a token lacking the other claims. */
function tokenSubject(token: string): string | undefined {
  try {
    const payload = decodeJwtPayload(token)
    const sub = tokenClaimsSchema.shape.sub.safeParse((payload as { sub?: unknown } | null)?.sub)
    return sub.success ? sub.data : undefined
  } catch (e) {
    if (e instanceof ProtocolError) return undefined
    throw e
  }
}
