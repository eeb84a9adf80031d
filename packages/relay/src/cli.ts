// The `tabsync-relay` command. stdout carries only machine-readable output (the listening line,
// a token); logs go to stderr.
import { join } from 'node:path'
import { storeRevocation, type Revocation } from './auth/revocations.js'
import { resolveSecret } from './auth/secret.js'
import { issueToken } from './auth/token.js'
import { USAGE, parseCliArgs, type ServeCommand } from './cli/parse-args.js'
import { isRelayError } from './errors.js'
import { createLogger } from './log.js'
import { startRelay } from './server.js'
import { RELAY_VERSION } from './cli/version.js'
import { FileStorageAdapter } from './storage/file-storage-adapter.js'

/** The first stdout line of `serve`, once the relay is ready. */
export interface ListeningLine {
  readonly event: 'listening'
  readonly port: number
  readonly host: string
  readonly url: string
  readonly syncUrl: string
  readonly mode: 'relay' | 'hub'
  readonly peerId: string
  readonly dataDir: string
  readonly secretSource: string
  /** Cluster mode only: this node's id and the URL other nodes send its clients to. */
  readonly nodeId?: string
  readonly advertise?: string
}

async function serve(cmd: ServeCommand): Promise<void> {
  const log = createLogger(cmd.logLevel ?? (process.env.TABSYNC_RELAY_LOG as never) ?? 'info')
  // Opening storage and the secret can take a while on a loaded machine: say so at once (stderr:
  // stdout's first line is the listening line scripts wait for).
  process.stderr.write(
    `tabsync-relay ${RELAY_VERSION}: starting on ${cmd.host}:${cmd.port}, data ${cmd.dataDir}\n`,
  )
  const relay = await startRelay({
    port: cmd.port,
    host: cmd.host,
    dataDir: cmd.dataDir,
    logger: log,
    limits: cmd.limits,
    ...(cmd.upstream
      ? {
          upstream: {
            url: cmd.upstream.url,
            alternateUrls: cmd.upstream.alternateUrls,
            token: cmd.upstream.token,
            backoff: {
              initialMs: Math.min(250, cmd.upstream.retryMaxMs ?? 250),
              maxMs: cmd.upstream.retryMaxMs ?? 30_000,
            },
          },
        }
      : {}),
    ...(cmd.idleUnloadMs === undefined ? {} : { idleUnloadMs: cmd.idleUnloadMs }),
    ...(cmd.allowQueryToken ? { allowQueryToken: true } : {}),
    ...(cmd.keepAliveMs === undefined ? {} : { keepAliveMs: cmd.keepAliveMs }),
    ...(cmd.maxKeptBytes === undefined ? {} : { maxKeptBytes: cmd.maxKeptBytes }),
    ...(cmd.cluster
      ? {
          cluster: {
            postgres: cmd.cluster.postgres,
            nodeId: cmd.cluster.nodeId,
            advertise: cmd.cluster.advertise,
            ...(cmd.cluster.leaseMs === undefined ? {} : { leaseMs: cmd.cluster.leaseMs }),
            ...(cmd.cluster.writeAudit ? { writeAudit: true } : {}),
          },
        }
      : {}),
  })
  if (relay.secretSource === 'created') {
    process.stderr.write(
      `tabsync-relay: TABSYNC_SECRET is not set; created a signing secret at ${relay.secretPath}\n`,
    )
  }
  const line: ListeningLine = {
    event: 'listening',
    port: relay.port,
    host: relay.host,
    url: relay.url,
    syncUrl: relay.syncUrl,
    mode: relay.mode,
    peerId: relay.peerId,
    dataDir: relay.dataDir,
    secretSource: relay.secretSource,
    ...(cmd.cluster ? { nodeId: cmd.cluster.nodeId, advertise: cmd.cluster.advertise } : {}),
  }
  process.stdout.write(JSON.stringify(line) + '\n')

  let signals = 0
  const stop = (signal: string): void => {
    signals += 1
    if (signals > 1) process.exit(1)
    log.info({ signal }, 'shutting down')
    relay.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  // automerge-repo 2.5.6 lets some internal promises reject unobserved (e.g. a DocHandle's 60 s
  // `whenReady` timeout while a device uploads thousands of documents, seen in the bench). One
  // document's timeout must not take every store's relay down: log it and keep serving.
  process.on('unhandledRejection', (err: unknown) => {
    log.error({ err }, 'unhandled rejection inside the relay (kept serving)')
  })
}

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code of a one-shot
 *  command, or -1 once `serve` is listening (the process then runs until SIGTERM/SIGINT). */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const cmd = parseCliArgs(argv)
    switch (cmd.command) {
      case 'help':
        process.stdout.write(USAGE + '\n')
        return 0
      case 'version':
        process.stdout.write(RELAY_VERSION + '\n')
        return 0
      case 'token': {
        const { secret } = await resolveSecret(cmd.dataDir)
        const token = await issueToken({
          secret,
          storeIds: cmd.storeIds,
          deviceId: cmd.deviceId,
          role: cmd.role,
          ttl: cmd.ttl,
        })
        process.stdout.write(token + '\n')
        return 0
      }
      case 'revoke': {
        const revocation: Revocation = {
          kind: cmd.kind,
          id: cmd.id,
          ...(cmd.storeIds ? { stores: [...cmd.storeIds] } : {}),
          at: Date.now(),
          by: 'cli',
        }
        // The relay's default storage; a running relay re-reads it every 500 ms.
        await storeRevocation(new FileStorageAdapter(join(cmd.dataDir, 'repo')), revocation)
        process.stdout.write(JSON.stringify({ event: 'revoked', ...revocation }) + '\n')
        return 0
      }
      case 'serve':
        await serve(cmd)
        return -1 // keep running
    }
  } catch (e) {
    if (isRelayError(e)) {
      process.stderr.write(`tabsync-relay: ${e.message}\n\n${USAGE}\n`)
      return 2
    }
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tabsync-relay: ${e.message}\n\n${USAGE}\n`)
      return 2
    }
    process.stderr.write(
      `tabsync-relay: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    )
    return 1
  }
}
