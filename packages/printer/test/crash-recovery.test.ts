import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Repo } from '@automerge/automerge-repo'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { afterEach, expect, test } from 'vitest'
import type { PrintBridge } from '../src/bridge/print-bridge.js'
import { CrashStep } from '../src/bridge/bridge-life.js'
import { startFakePrinter, type FakePrinter } from '../src/fake/fake-printer.js'
import { openPrintLedger } from '../src/ledger/print-ledger.js'
import { ticketRef } from '../src/escpos/render-ticket.js'
import type { TicketSource } from '../src/source/ticket-source.js'
import {
  addLine,
  createWorld,
  fire,
  itemsOf,
  openTable,
  orderOf,
  run,
  startBridge,
  tempDir,
  till,
  type World,
} from './helpers.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

const PRINTERS = (printer: FakePrinter) => [{ id: 'kitchen-printer', url: printer.url }]

/** Complete receipts of a ticket without the REPRINT banner: must never exceed 1. */
const plainPrints = (printer: FakePrinter, ticketId: string) =>
  printer.receipts.filter((r) => r.complete && !r.reprint && r.ref === ticketRef(ticketId)).length

function track(bridge: PrintBridge, source: TicketSource) {
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
  })
}

/** Every ticket is printed (or skipped as a duplicate) or waits for a human. */
function assertAccountedFor(dataDir: string, ticketIds: string[]) {
  const ledger = openPrintLedger(dataDir)
  try {
    for (const id of ticketIds) {
      const e = ledger.get('kitchen-printer', id)
      expect(e, `ticket ${id} is in the ledger`).toBeDefined()
      expect(e!.state === 'printed' || e!.state === 'duplicate' || e!.uncertain).toBe(true)
    }
  } finally {
    ledger.close()
  }
}

const EXPECTED: Record<CrashStep, { flagged: boolean; plainPrints: number }> = {
  'after-ledger': { flagged: true, plainPrints: 0 },
  'during-send': { flagged: true, plainPrints: 0 },
  'after-send': { flagged: true, plainPrints: 1 },
  'after-printed': { flagged: false, plainPrints: 1 },
}

for (const step of Object.values(CrashStep)) {
  test(`a crash ${step} then a restart: nothing prints twice without REPRINT, nothing is lost`, async () => {
    const world = createWorld()
    const printer = await startFakePrinter()
    cleanup.push(() => printer.close())
    const dataDir = tempDir()
    const anna = till(world, 'till-1')
    const order = await openTable(world, anna)

    let victim: string | undefined
    let crashed!: () => void
    const crashedNow = new Promise<void>((r) => (crashed = r))
    const first = startBridge(world, dataDir, PRINTERS(printer), {
      crash: (s, info) => {
        if (s === step && info.ticketId === victim) {
          crashed()
          throw new Error(`crash at ${s}`)
        }
      },
    })
    track(first.bridge, first.source)

    const [before] = run(order, (d) => {
      addLine(d, anna, { itemId: 'pizza' })
      return fire(d, anna)
    })
    await printer.waitForReceipts(1)
    await first.bridge.whenIdle()

    const [crashTicket] = run(order, (d) => {
      addLine(d, anna, { itemId: 'risotto', quantity: 2 })
      victim = fire(d, anna)[0]
      return [victim]
    })
    await crashedNow
    expect(first.bridge.crashed).toBe(true)
    await first.source.close()

    // Fired while the bridge is down.
    const [after] = run(order, (d) => {
      addLine(d, anna, { itemId: 'pasta' })
      return fire(d, anna)
    })

    const second = startBridge(world, dataDir, PRINTERS(printer))
    track(second.bridge, second.source)
    await second.bridge.whenIdle()

    const ids = [before!, crashTicket!, after!]
    expect(plainPrints(printer, before!)).toBe(1)
    expect(plainPrints(printer, after!)).toBe(1)
    expect(plainPrints(printer, crashTicket!)).toBe(EXPECTED[step].plainPrints)
    assertAccountedFor(dataDir, ids)

    const flagged = second.bridge.status().needsConfirmation.map((c) => c.ticketId)
    const prints = () =>
      Object.values(orderOf(order).prints)
        .filter((p) => p.ticketId === crashTicket)
        .map((p) => p.outcome)
        .sort()
    if (EXPECTED[step].flagged) {
      expect(flagged).toEqual([crashTicket])
      expect(prints()).toEqual([])
      // Staff look at the kitchen rail and ask for a reprint: it says REPRINT.
      const count = printer.receipts.length
      second.bridge.reprint(crashTicket!)
      await printer.waitForReceipts(count + 1)
      await second.bridge.whenIdle()
      const reprint = printer.receipts.at(-1)!
      expect(reprint.reprint).toBe(true)
      expect(itemsOf(reprint.text)).toEqual(new Map([['Mushroom risotto', 2]]))
      expect(second.bridge.status().needsConfirmation).toEqual([])
      expect(prints()).toEqual(['reprinted'])
    } else {
      // PRINTED was on disk: the restarted bridge only tells the order.
      expect(flagged).toEqual([])
      expect(prints()).toEqual(['printed'])
    }
    expect(plainPrints(printer, crashTicket!)).toBe(EXPECTED[step].plainPrints)
  })
}

test('staff confirm a ticket that did print: it is recorded printed, not printed again', async () => {
  const world = createWorld()
  const printer = await startFakePrinter()
  cleanup.push(() => printer.close())
  const dataDir = tempDir()
  const anna = till(world, 'till-1')
  const order = await openTable(world, anna)
  let crashed!: () => void
  const crashedNow = new Promise<void>((r) => (crashed = r))
  const first = startBridge(world, dataDir, PRINTERS(printer), {
    crash: (s) => {
      if (s === 'after-send') {
        crashed()
        throw new Error('crash')
      }
    },
  })
  track(first.bridge, first.source)
  const [ticketId] = run(order, (d) => {
    addLine(d, anna, { itemId: 'wings' })
    return fire(d, anna)
  })
  await crashedNow
  await first.source.close()
  const second = startBridge(world, dataDir, PRINTERS(printer))
  track(second.bridge, second.source)
  await second.bridge.whenIdle()
  expect(second.bridge.status().needsConfirmation.map((c) => [c.ticketId, c.reason])).toEqual([
    [ticketId, expect.stringContaining('interrupted')],
  ])
  expect(second.bridge.confirm(ticketId!)).toEqual(['kitchen-printer'])
  await second.bridge.whenIdle()
  expect(second.bridge.status().needsConfirmation).toEqual([])
  expect(Object.values(orderOf(order).prints).map((p) => p.outcome)).toEqual(['printed'])
  expect(printer.receipts).toHaveLength(1)
})

const here = path.dirname(fileURLToPath(import.meta.url))

for (const step of ['during-send', 'after-send'] as const) {
  test(`a bridge process killed with SIGKILL ${step}: the restart flags the ticket, never resends it`, async () => {
    const printer = await startFakePrinter()
    cleanup.push(() => printer.close())
    const dataDir = tempDir()
    const repoDir = tempDir('tabsync-repo-')
    const world: World = createWorld(
      new Repo({ network: [], storage: new NodeFSStorageAdapter(repoDir) }),
    )
    cleanup.push(() => world.repo.shutdown())
    const anna = till(world, 'till-1')
    const order = await openTable(world, anna)
    const [ticketId] = run(order, (d) => {
      addLine(d, anna, { itemId: 'veg-curry' })
      return fire(d, anna)
    })
    await world.repo.flush()

    const child = spawn(
      process.execPath,
      // Sources, not dist/: the @tabsync/* packages through their "@tabsync/source" condition.
      [
        '--conditions=@tabsync/source',
        '--import',
        'tsx',
        path.join(here, 'fixtures', 'bridge-child.ts'),
      ],
      {
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          REPO_DIR: repoDir,
          STORE_URL: world.storeUrl,
          PRINTER_URL: printer.url,
          CRASH_STEP: step,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    )
    expect(exit, stderr).toEqual({ code: null, signal: 'SIGKILL' })

    const second = startBridge(world, dataDir, PRINTERS(printer))
    track(second.bridge, second.source)
    await second.bridge.whenIdle()
    expect(second.bridge.status().needsConfirmation.map((c) => c.ticketId)).toEqual([ticketId])
    expect(plainPrints(printer, ticketId!)).toBe(step === 'after-send' ? 1 : 0)
    expect(Object.values(orderOf(order).prints)).toEqual([])
  })
}
