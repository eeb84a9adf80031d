import { startRelay, type RelayOptions, type RunningRelay } from '../../src/server.js'
import { TEST_SECRET, tempDir } from './relay-process.js'

/**
 * An in-process relay for a test: port 0, the test secret, a fresh data directory unless
 * `dataDir` is given, closed (and its directory removed) by `cleanups` after the test.
 */
export async function startTestRelay(
  cleanups: (() => Promise<unknown>)[],
  options: RelayOptions = {},
): Promise<RunningRelay> {
  let dataDir = options.dataDir
  if (dataDir === undefined) {
    const data = await tempDir()
    cleanups.push(data.remove)
    dataDir = data.path
  }
  const relay = await startRelay({ port: 0, secret: TEST_SECRET, ...options, dataDir })
  cleanups.push(() => relay.close())
  return relay
}
