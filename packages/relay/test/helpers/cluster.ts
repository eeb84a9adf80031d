// A relay cluster for tests: one throwaway PostgreSQL per test file, and nodes on it, in this
// process (startRelay) or as CLI processes (`serve --postgres`), each on its own port so that its
// advertised URL is known before it starts. One place for what the cluster tests of relay and
// sync used to set up each their own way.
import { afterAll, beforeAll } from 'vitest'
import { createLogger, type Logger } from '../../src/log.js'
import { startRelay, type RunningRelay } from '../../src/server.js'
import { freePort, startTestPostgres, type TestPostgres } from './postgres.js'
import {
  TEST_SECRET,
  runCleanups,
  spawnRelay,
  tempDir,
  type RelayProcess,
} from './relay-process.js'

/** Where a node listens and what it tells clients of other nodes. */
export interface NodeAddress {
  readonly nodeId: string
  readonly port: number
  /** `ws://127.0.0.1:<port>/sync`, the node's `--advertise`. */
  readonly syncUrl: string
}

/** A node id on a free port (not started). */
export async function nodeAddress(nodeId: string): Promise<NodeAddress> {
  const port = await freePort()
  return { nodeId, port, syncUrl: `ws://127.0.0.1:${port}/sync` }
}

/** The `serve` arguments of a cluster node (after `serve`). */
export function clusterServeArgs(
  node: NodeAddress,
  options: { postgres: string; dataDir: string; leaseMs: number },
): string[] {
  return [
    ...['--port', String(node.port), '--data', options.dataDir],
    ...['--postgres', options.postgres, '--node-id', node.nodeId],
    ...['--advertise', node.syncUrl, '--lease-ms', String(options.leaseMs)],
  ]
}

/** Options of {@link TestCluster.node}. */
export interface InProcessNodeOptions {
  /** Default 60 s: no lease runs out during a test unless it means to. */
  readonly leaseMs?: number
  /** Default: silent. */
  readonly logger?: Logger
}

/** A PostgreSQL server and the nodes started on it; everything is stopped after the file. */
export interface TestCluster {
  /** The server (started in `beforeAll`). */
  readonly pg: TestPostgres
  /**
   * A node in this process. It accepts the query-string token: the stock automerge-repo client
   * of helpers/devices.ts can send it nowhere else.
   */
  node(nodeId: string, options?: InProcessNodeOptions): Promise<RunningRelay>
  /** A node as a real process through the CLI (for kill -9). */
  nodeProcess(nodeId: string, options: { leaseMs: number }): Promise<RelayProcess>
  /** Undone after the file, newest first, with the nodes. */
  defer(cleanup: () => Promise<unknown>): void
}

/** Registers the file's PostgreSQL (beforeAll) and the teardown of everything (afterAll). */
export function useTestCluster(): TestCluster {
  let pg: TestPostgres | undefined
  const cleanups: (() => Promise<unknown>)[] = []
  beforeAll(async () => {
    pg = await startTestPostgres()
  }, 60_000)
  afterAll(async () => {
    await runCleanups(cleanups)
    await pg?.destroy()
  })
  const server = (): TestPostgres => {
    if (!pg) throw new Error('the test PostgreSQL is not started (use the cluster inside tests)')
    return pg
  }
  const dataDir = async (): Promise<string> => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    return dir.path
  }
  return {
    get pg() {
      return server()
    },
    async node(nodeId, options = {}) {
      const address = await nodeAddress(nodeId)
      const relay = await startRelay({
        port: address.port,
        dataDir: await dataDir(),
        secret: TEST_SECRET,
        logger: options.logger ?? createLogger('silent'),
        allowQueryToken: true,
        cluster: {
          postgres: server().url,
          nodeId,
          advertise: address.syncUrl,
          leaseMs: options.leaseMs ?? 60_000,
        },
      })
      cleanups.push(() => relay.close())
      return relay
    },
    async nodeProcess(nodeId, options) {
      const address = await nodeAddress(nodeId)
      const relay = await spawnRelay(
        clusterServeArgs(address, {
          postgres: server().url,
          dataDir: await dataDir(),
          leaseMs: options.leaseMs,
        }),
      )
      cleanups.push(() => relay.stop('SIGKILL'))
      return relay
    },
    defer(cleanup) {
      cleanups.push(cleanup)
    },
  }
}
