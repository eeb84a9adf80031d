// Workload 7: how long the shipped CLIs take from spawn to ready, beside `node -e ''` (the
// floor: starting Node itself) measured in the same run. The CLIs run their built JavaScript
// (dist/, as installed from npm; `npm run bench` builds first), never the sources.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateAutomergeUrl } from '@automerge/automerge-repo'
import { Path, Unit, repeat } from '../figures.js'
import { now, type BenchContext, type Workload } from '../workload.js'

const W = 'cli-start'
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const RELAY = path.join(root, 'packages/relay/dist/cli-main.js')
const BRIDGE = path.join(root, 'packages/printer/dist/cli/bridge-bin.js')

/**
 * Spawns `node args`, resolves with the ms until a line of its stdout or stderr matches `ready`
 * (or until it exits, when `ready` is undefined), then stops it with SIGTERM and waits.
 */
async function timeToReady(
  args: readonly string[],
  ready: RegExp | undefined,
  env: Record<string, string> = {},
): Promise<number> {
  const started = now()
  const child = spawn(process.execPath, [...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (ready === undefined) {
    await exited
    return now() - started
  }
  const took = await new Promise<number>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (ready.test(line)) resolve(now() - started)
      })
    }
    void exited.then((code) => reject(new Error(`${args[0]} exited (${code}) before ready`)))
  })
  child.kill('SIGTERM')
  await exited
  return took
}

export const cliStartWorkload: Workload = {
  name: W,
  summary: "tabsync-relay and tabsync-printer from spawn to ready, beside node -e ''",
  async run(ctx: BenchContext) {
    for (const file of [RELAY, BRIDGE]) {
      if (!existsSync(file)) throw new Error(`${file} is not built: run npm run build`)
    }
    const store = generateAutomergeUrl()
    const v = await repeat(ctx.runs, async (run) => {
      ctx.log(`cli-start run ${run + 1}/${ctx.runs}`)
      const relayDir = await ctx.tempDir('cli-relay')
      const bridgeDir = await ctx.tempDir('cli-bridge')
      return {
        floor: await timeToReady(['-e', ''], undefined),
        relay: await timeToReady(
          [RELAY, 'serve', '--port', '0', '--data', relayDir],
          /"event":"listening"/,
          { TABSYNC_SECRET: 'bench-cli-start-secret-0123456789abcdef', TABSYNC_RELAY_LOG: 'warn' },
        ),
        // Ready once its device and ledger are open and it watches the store; the endpoint
        // need not answer (a bridge starts while the hub is down too).
        bridge: await timeToReady(
          [
            BRIDGE,
            '--store',
            store,
            '--endpoint',
            'ws://127.0.0.1:9/sync',
            '--printer',
            'kitchen=fake',
            '--http',
            'off',
            '--data-dir',
            bridgeDir,
          ],
          /print bridge started/,
        ),
      }
    })
    const floor = ctx.recorder.record(
      W,
      {
        name: "node -e '' (start and exit)",
        path: Path.floor,
        unit: Unit.ms,
        note: 'Node itself, same machine and moment',
      },
      v.floor as number[],
    )
    ctx.recorder.record(
      W,
      {
        name: 'tabsync-relay serve: spawn -> listening line',
        path: Path.tabsync,
        unit: Unit.ms,
        vs: floor,
        note: 'built JS (dist/), fresh data directory',
      },
      v.relay as number[],
    )
    ctx.recorder.record(
      W,
      {
        name: 'tabsync-printer: spawn -> print bridge started',
        path: Path.tabsync,
        unit: Unit.ms,
        vs: floor,
        note: 'built JS (dist/), fresh data directory, one fake printer',
      },
      v.bridge as number[],
    )
  },
}
