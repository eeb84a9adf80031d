import { parseArgs } from 'node:util'
import { DeviceRole } from '@tabsync/core'
import { ID_PATTERN } from '@tabsync/protocol'
import { RelayError, RelayErrorKind } from '../errors.js'
import type { LogLevel } from '../log.js'
import { CLUSTER_OPTIONS, CLUSTER_USAGE, clusterArgs, type ClusterArgs } from './cluster-args.js'

/** `tabsync-relay serve ...` */
export interface ServeCommand {
  readonly command: 'serve'
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly upstream:
    | {
        readonly url: string
        /** Further `--upstream` URLs: the other nodes of a relay cluster. */
        readonly alternateUrls: readonly string[]
        readonly token: string
        readonly retryMaxMs: number | undefined
      }
    | undefined
  readonly idleUnloadMs: number | undefined
  readonly logLevel: LogLevel | undefined
  /** `--allow-query-token`: accept `?token=` from old clients. */
  readonly allowQueryToken: boolean
  /** `--keep-alive-ms`: heartbeat interval. */
  readonly keepAliveMs: number | undefined
  /** `--max-kept-bytes` (or `TABSYNC_MAX_KEPT_BYTES`): bound of the writes kept while storage fails. */
  readonly maxKeptBytes: number | undefined
  readonly limits: {
    maxFrameBytes?: number
    messagesPerSecond?: number
    connectionsPerDevice?: number
    authTimeoutMs?: number
  }
  /** Cluster mode (`--postgres`); undefined: one relay on files. */
  readonly cluster: ClusterArgs | undefined
}

/** `tabsync-relay token ...` */
export interface TokenCommand {
  readonly command: 'token'
  readonly storeIds: readonly string[]
  readonly deviceId: string
  readonly role: DeviceRole
  readonly ttl: string
  readonly dataDir: string
}

/** `tabsync-relay revoke ...` */
export interface RevokeCommand {
  readonly command: 'revoke'
  readonly kind: 'device' | 'token'
  readonly id: string
  /** Only tokens of these stores; undefined: every store. */
  readonly storeIds: readonly string[] | undefined
  readonly dataDir: string
}

/** `tabsync-relay help`, or `--help`/`-h` anywhere */
export interface HelpCommand {
  readonly command: 'help'
}

/** `tabsync-relay --version`/`-V`, anywhere */
export interface VersionCommand {
  readonly command: 'version'
}

export type CliCommand = ServeCommand | TokenCommand | RevokeCommand | HelpCommand | VersionCommand

/** Usage text printed by `tabsync-relay help` and on bad input. */
export const USAGE = `Usage:
  tabsync-relay serve [--port 8787] [--host 127.0.0.1] [--data ./.tabsync/relay]
                      [--upstream ws://cloud/sync [--upstream ws://node-2/sync...]
                       --upstream-token <jwt> [--upstream-retry-max-ms 30000]]
                      [--idle-unload-ms 300000] [--log-level info]
                      [--max-frame-bytes N] [--messages-per-second N]
                      [--connections-per-device N] [--auth-timeout-ms N]
                      [--keep-alive-ms 2500] [--allow-query-token]
                      [--max-kept-bytes 67108864]   (or TABSYNC_MAX_KEPT_BYTES)
${CLUSTER_USAGE}
  tabsync-relay token --store <id> [--store <id>...] --device <id>
                      --role terminal|kitchen|hub|printer|backoffice [--ttl 12h] [--data dir]
  tabsync-relay revoke (--device <id> | --token-id <jti>) [--store <id>...] [--data dir]
  tabsync-relay [command] --help | --version

The signing secret is TABSYNC_SECRET, else <data>/secret (created by serve when absent).
serve prints one JSON line on stdout once listening: {"event":"listening","port":...}.
token prints the JWT on stdout. revoke records the revocation in <data> (a relay running on it
closes those sockets within a second) and prints it as one JSON line. Logs (pino JSON) go to
stderr; tokens are redacted from them. Devices send their token as a WebSocket subprotocol or an
Authorization header; --allow-query-token also accepts ?token= (old clients: it puts tokens in
URLs and access logs).`

function bad(message: string): never {
  throw new RelayError(RelayErrorKind.invalidInput, 'bad-arguments', message)
}

function int(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) bad(`--${name} must be an integer >= ${min}`)
  return n
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Parses the command line (without `node` and the script). */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv
  // Before any command's own parsing, so `serve --help` or `token --version` never reads as an
  // unknown option of that command.
  if (argv.includes('--version') || argv.includes('-V')) return { command: 'version' }
  if (
    command === undefined ||
    command === 'help' ||
    argv.includes('--help') ||
    argv.includes('-h')
  ) {
    return { command: 'help' }
  }
  if (command === 'serve') {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        // Repeated for a relay cluster: the other nodes, tried when one cannot be reached.
        upstream: { type: 'string', multiple: true },
        'upstream-token': { type: 'string' },
        'upstream-retry-max-ms': { type: 'string' },
        'idle-unload-ms': { type: 'string' },
        'log-level': { type: 'string' },
        'max-frame-bytes': { type: 'string' },
        'messages-per-second': { type: 'string' },
        'connections-per-device': { type: 'string' },
        'auth-timeout-ms': { type: 'string' },
        'keep-alive-ms': { type: 'string' },
        'max-kept-bytes': { type: 'string' },
        'allow-query-token': { type: 'boolean' },
        ...CLUSTER_OPTIONS,
      },
    })
    const port = int(values.port, 'port') ?? 8787
    if (port > 65535) bad('--port must be <= 65535')
    if ((values.upstream === undefined) !== (values['upstream-token'] === undefined)) {
      bad('--upstream and --upstream-token go together')
    }
    if (values.upstream?.some((u) => !/^wss?:\/\//.test(u))) {
      bad('--upstream must be a ws:// or wss:// URL')
    }
    const level = values['log-level']
    if (level !== undefined && !LEVELS.includes(level))
      bad(`--log-level must be one of ${LEVELS.join(', ')}`)
    const limits: ServeCommand['limits'] = {}
    const maxFrameBytes = int(values['max-frame-bytes'], 'max-frame-bytes', 1024)
    if (maxFrameBytes !== undefined) limits.maxFrameBytes = maxFrameBytes
    const mps = int(values['messages-per-second'], 'messages-per-second', 1)
    if (mps !== undefined) limits.messagesPerSecond = mps
    const cpd = int(values['connections-per-device'], 'connections-per-device', 1)
    if (cpd !== undefined) limits.connectionsPerDevice = cpd
    const auth = int(values['auth-timeout-ms'], 'auth-timeout-ms', 1)
    if (auth !== undefined) limits.authTimeoutMs = auth
    return {
      command: 'serve',
      port,
      host: values.host ?? '127.0.0.1',
      dataDir: values.data ?? './.tabsync/relay',
      upstream:
        values.upstream?.[0] !== undefined && values['upstream-token'] !== undefined
          ? {
              url: values.upstream[0],
              alternateUrls: values.upstream.slice(1),
              token: values['upstream-token'],
              retryMaxMs: int(values['upstream-retry-max-ms'], 'upstream-retry-max-ms', 1),
            }
          : undefined,
      idleUnloadMs: int(values['idle-unload-ms'], 'idle-unload-ms'),
      logLevel: level as LogLevel | undefined,
      allowQueryToken: values['allow-query-token'] ?? false,
      keepAliveMs: int(values['keep-alive-ms'], 'keep-alive-ms', 100),
      maxKeptBytes: int(
        values['max-kept-bytes'] ?? process.env.TABSYNC_MAX_KEPT_BYTES,
        'max-kept-bytes',
        1,
      ),
      limits,
      cluster: clusterArgs(values, { host: values.host ?? '127.0.0.1', port }),
    }
  }
  if (command === 'token') {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        store: { type: 'string', multiple: true },
        device: { type: 'string' },
        role: { type: 'string' },
        ttl: { type: 'string' },
        data: { type: 'string' },
      },
    })
    const storeIds = (values.store ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '')
    if (storeIds.length === 0) bad('--store is required')
    if (values.device === undefined) bad('--device is required')
    const roles = Object.values(DeviceRole) as string[]
    if (values.role === undefined || !roles.includes(values.role)) {
      bad(`--role must be one of ${roles.join(', ')}`)
    }
    return {
      command: 'token',
      storeIds,
      deviceId: values.device,
      role: values.role as DeviceRole,
      ttl: values.ttl ?? '12h',
      dataDir: values.data ?? './.tabsync/relay',
    }
  }
  if (command === 'revoke') {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        device: { type: 'string' },
        'token-id': { type: 'string' },
        store: { type: 'string', multiple: true },
        data: { type: 'string' },
      },
    })
    const device = values.device
    const tokenId = values['token-id']
    if ((device === undefined) === (tokenId === undefined)) {
      bad('revoke takes exactly one of --device and --token-id')
    }
    const id = (device ?? tokenId)!
    if (!ID_PATTERN.test(id)) bad('the id to revoke has characters a token never carries')
    const storeIds = (values.store ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '')
    return {
      command: 'revoke',
      kind: device === undefined ? 'token' : 'device',
      id,
      storeIds: storeIds.length > 0 ? storeIds : undefined,
      dataDir: values.data ?? './.tabsync/relay',
    }
  }
  bad(`Unknown command "${command}"`)
}
