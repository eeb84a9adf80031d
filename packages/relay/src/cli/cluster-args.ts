import { hostname } from 'node:os'
import { RelayError, RelayErrorKind } from '../errors.js'

/** The cluster part of `serve` (`--postgres` ...); undefined: one relay on files, as before. */
export interface ClusterArgs {
  readonly postgres: string
  readonly nodeId: string
  readonly advertise: string
  readonly leaseMs: number | undefined
  /** `TABSYNC_WRITE_AUDIT=1`: record every write's store, holder and fence (diagnostic). */
  readonly writeAudit: boolean
}

/** `parseArgs` option declarations of the cluster flags. */
export const CLUSTER_OPTIONS = {
  postgres: { type: 'string' },
  'node-id': { type: 'string' },
  advertise: { type: 'string' },
  'lease-ms': { type: 'string' },
} as const

/** Usage lines of the cluster flags. */
export const CLUSTER_USAGE = `                      [--postgres postgres://... --node-id <id> --advertise ws://this-node:8787/sync
                       [--lease-ms 10000]]   (or TABSYNC_POSTGRES_URL, TABSYNC_NODE_ID,
                                              TABSYNC_ADVERTISE, TABSYNC_LEASE_MS)`

function bad(message: string): never {
  throw new RelayError(RelayErrorKind.invalidInput, 'bad-arguments', message)
}

/**
 * Cluster settings from the flags, else the environment. Without a PostgreSQL URL the relay is a
 * single process on files (and the other cluster flags are refused, so a typo cannot silently
 * start a lone node). `--advertise` defaults to `ws://<host>:<port>/sync` when both are concrete.
 */
export function clusterArgs(
  values: { postgres?: string; 'node-id'?: string; advertise?: string; 'lease-ms'?: string },
  server: { host: string; port: number },
  env: NodeJS.ProcessEnv = process.env,
): ClusterArgs | undefined {
  const postgres = values.postgres ?? env.TABSYNC_POSTGRES_URL
  const nodeId = values['node-id'] ?? env.TABSYNC_NODE_ID
  const advertise = values.advertise ?? env.TABSYNC_ADVERTISE
  const leaseText = values['lease-ms'] ?? env.TABSYNC_LEASE_MS
  if (postgres === undefined || postgres === '') {
    if (
      values['node-id'] !== undefined ||
      values.advertise !== undefined ||
      values['lease-ms'] !== undefined
    ) {
      bad('--node-id, --advertise and --lease-ms need --postgres')
    }
    return undefined
  }
  if (!/^postgres(ql)?:\/\//.test(postgres)) bad('--postgres must be a postgres:// URL')
  let leaseMs: number | undefined
  if (leaseText !== undefined) {
    leaseMs = Number(leaseText)
    if (!Number.isInteger(leaseMs) || leaseMs < 100) bad('--lease-ms must be an integer >= 100')
  }
  const wildcard = server.host === '0.0.0.0' || server.host === '::'
  const resolved =
    advertise ??
    (server.port === 0 || wildcard ? undefined : `ws://${server.host}:${server.port}/sync`)
  if (resolved === undefined) {
    bad(
      '--advertise is required with --port 0 or a wildcard --host (the URL other nodes send clients to)',
    )
  }
  if (!/^wss?:\/\//.test(resolved)) bad('--advertise must be a ws:// or wss:// URL')
  // It travels as a WebSocket close reason, which holds at most 123 bytes.
  if (Buffer.byteLength(resolved) > 123) bad('--advertise must be at most 123 bytes')
  return {
    postgres,
    nodeId: nodeId ?? `${hostname()}-${server.port}`,
    advertise: resolved,
    leaseMs,
    writeAudit: env.TABSYNC_WRITE_AUDIT === '1',
  }
}
