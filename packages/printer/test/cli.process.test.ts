import { spawn } from 'node:child_process'
import * as http from 'node:http'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Repo, type PeerId } from '@automerge/automerge-repo'
import { NodeWSServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { afterEach, expect, test } from 'vitest'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import {
  addLine,
  createWorld,
  fire,
  itemsOf,
  openTable,
  orderOf,
  run,
  tempDir,
  till,
} from './helpers.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

const bin = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'bin',
  'tabsync-printer.js',
)

/** A bare in-store hub: automerge-repo over WebSocket at /sync, and GET /time. */
async function startHub() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ now: Date.now() }))
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  const repo = new Repo({
    network: [new NodeWSServerAdapter(wss as never)],
    peerId: 'hub' as PeerId,
    sharePolicy: async () => true,
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    repo,
    endpoint: `ws://127.0.0.1:${port}/sync`,
    async close() {
      for (const c of wss.clients) c.terminate()
      await repo.shutdown().catch(() => undefined)
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

test('the tabsync-printer CLI syncs through a hub, prints a fired ticket, records it, stops on SIGTERM', async () => {
  const hub = await startHub()
  cleanup.push(() => hub.close())
  const world = createWorld(hub.repo)
  const printer = await startFakePrinter()
  cleanup.push(() => printer.close())

  const child = spawn(
    process.execPath,
    [
      bin,
      '--store',
      world.storeUrl,
      '--endpoint',
      hub.endpoint,
      '--device-id',
      'printer-1',
      '--data-dir',
      tempDir(),
      '--printer',
      `kitchen-printer=${printer.url}`,
      '--http',
      'off',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  })

  const anna = till(world, 'till-1')
  const order = await openTable(world, anna, 't2')
  run(order, (d) => {
    addLine(d, anna, { itemId: 'fish-chips', quantity: 2, note: 'extra lemon' })
    fire(d, anna)
  })
  await printer.waitForReceipts(1, 30_000)
  expect(printer.receipts[0]!.text).toContain('TABLE 2')
  expect(itemsOf(printer.receipts[0]!.text)).toEqual(new Map([['Fish and chips', 2]]))

  // The print record comes back to the hub's copy of the order.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (Object.values(orderOf(order).prints).length > 0) {
        order.off('change', check)
        resolve()
      }
    }
    order.on('change', check)
    check()
  })
  expect(Object.values(orderOf(order).prints)).toMatchObject([
    { printerId: 'kitchen-printer', outcome: 'printed', by: 'printer-1' },
  ])

  child.kill('SIGTERM')
  expect(await exited, stderr).toBe(0)
  expect(printer.receipts).toHaveLength(1)
})
