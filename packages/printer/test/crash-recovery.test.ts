import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { addLine, fire } from '@tabsync/core'
import { afterEach, expect, test } from 'vitest'
import type { PrintBridge } from '../src/bridge/print-bridge.js'
import { CrashStep } from '../src/bridge/bridge-life.js'
import { startFakePrinter, type FakePrinter } from '../src/fake/fake-printer.js'
import { openPrintLedger } from '../src/ledger/print-ledger.js'
import { ticketRef } from '../src/escpos/render-ticket.js'
import { createDeviceSource } from '../src/source/device-source.js'
import type { TicketSource } from '../src/source/ticket-source.js'
import { itemsOf, tempDir } from './helpers.js'
import { arrived, openStoreNetwork, openTable, orderOn, startBridge } from './store-network.js'

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

async function setup() {
  const world = await openStoreNetwork()
  cleanup.push(() => world.close())
  const printer = await startFakePrinter()
  cleanup.push(() => printer.close())
  return { world, printer, dataDir: tempDir(), url: await openTable(world.anna) }
}

for (const step of Object.values(CrashStep)) {
  test(`a crash ${step} then a restart: nothing prints twice without REPRINT, nothing is lost`, async () => {
    const { world, printer, dataDir, url } = await setup()
    const { anna } = world

    let victim: string | undefined
    let crashed!: () => void
    const crashedNow = new Promise<void>((r) => (crashed = r))
    const first = startBridge(await world.printer(), dataDir, PRINTERS(printer), {
      crash: (s, info) => {
        if (s === step && info.ticketId === victim) {
          crashed()
          throw new Error(`crash at ${s}`)
        }
      },
    })
    track(first.bridge, first.source)

    const [before] = await anna.run(url, (d, ctx) => {
      addLine(d, ctx, { itemId: 'pizza' })
      return fire(d, ctx)
    })
    await printer.waitForReceipts(1)
    await first.bridge.whenIdle()

    const [crashTicket] = await anna.run(url, (d, ctx) => {
      addLine(d, ctx, { itemId: 'risotto', quantity: 2 })
      victim = fire(d, ctx)[0]
      return [victim]
    })
    await crashedNow
    expect(first.bridge.crashed).toBe(true)
    await first.source.close()
    // The machine goes down with the bridge: its device is gone until the restart.
    world.net.partition('printer-1', 'hub')

    // Fired while the bridge is down.
    const [after] = await anna.run(url, (d, ctx) => {
      addLine(d, ctx, { itemId: 'pasta' })
      return fire(d, ctx)
    })

    const device = await world.restartPrinter()
    world.net.heal('printer-1', 'hub')
    const second = startBridge(device, dataDir, PRINTERS(printer))
    track(second.bridge, second.source)
    await arrived(second.source, url, [before!, crashTicket!, after!])
    await second.bridge.whenIdle()

    const ids = [before!, crashTicket!, after!]
    expect(plainPrints(printer, before!)).toBe(1)
    expect(plainPrints(printer, after!)).toBe(1)
    expect(plainPrints(printer, crashTicket!)).toBe(EXPECTED[step].plainPrints)
    assertAccountedFor(dataDir, ids)

    const flagged = second.bridge.status().needsConfirmation.map((c) => c.ticketId)
    const prints = async () =>
      Object.values((await orderOn(device, url)).prints)
        .filter((p) => p.ticketId === crashTicket)
        .map((p) => p.outcome)
        .sort()
    if (EXPECTED[step].flagged) {
      expect(flagged).toEqual([crashTicket])
      expect(await prints()).toEqual([])
      // Staff look at the kitchen rail and ask for a reprint: it says REPRINT.
      const count = printer.receipts.length
      second.bridge.reprint(crashTicket!)
      await printer.waitForReceipts(count + 1)
      await second.bridge.whenIdle()
      const reprint = printer.receipts.at(-1)!
      expect(reprint.reprint).toBe(true)
      expect(itemsOf(reprint.text)).toEqual(new Map([['Mushroom risotto', 2]]))
      expect(second.bridge.status().needsConfirmation).toEqual([])
      expect(await prints()).toEqual(['reprinted'])
    } else {
      // PRINTED was on disk: the restarted bridge only tells the order.
      expect(flagged).toEqual([])
      expect(await prints()).toEqual(['printed'])
    }
    expect(plainPrints(printer, crashTicket!)).toBe(EXPECTED[step].plainPrints)
  })
}

test('staff confirm a ticket that did print: it is recorded printed, not printed again', async () => {
  const { world, printer, dataDir, url } = await setup()
  let crashed!: () => void
  const crashedNow = new Promise<void>((r) => (crashed = r))
  const first = startBridge(await world.printer(), dataDir, PRINTERS(printer), {
    crash: (s) => {
      if (s === 'after-send') {
        crashed()
        throw new Error('crash')
      }
    },
  })
  track(first.bridge, first.source)
  const [ticketId] = await world.anna.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'wings' })
    return fire(d, ctx)
  })
  await crashedNow
  await first.source.close()
  const device = await world.restartPrinter()
  const second = startBridge(device, dataDir, PRINTERS(printer))
  track(second.bridge, second.source)
  await arrived(second.source, url, [ticketId!])
  await second.bridge.whenIdle()
  expect(second.bridge.status().needsConfirmation.map((c) => [c.ticketId, c.reason])).toEqual([
    [ticketId, expect.stringContaining('interrupted')],
  ])
  expect(second.bridge.confirm(ticketId!)).toEqual(['kitchen-printer'])
  await second.bridge.whenIdle()
  expect(second.bridge.status().needsConfirmation).toEqual([])
  expect(Object.values((await orderOn(device, url)).prints).map((p) => p.outcome)).toEqual([
    'printed',
  ])
  expect(printer.receipts).toHaveLength(1)
})

const here = path.dirname(fileURLToPath(import.meta.url))

for (const step of ['during-send', 'after-send'] as const) {
  test(`a bridge process killed with SIGKILL ${step}: the restart flags the ticket, never resends it`, async () => {
    const printer = await startFakePrinter()
    cleanup.push(() => printer.close())
    const dataDir = tempDir()
    const deviceDir = tempDir('tabsync-device-')
    const world = await openStoreNetwork({ printerStorage: { directory: deviceDir } })
    cleanup.push(() => world.close())
    const url = await openTable(world.anna)
    const [ticketId] = await world.anna.run(url, (d, ctx) => {
      addLine(d, ctx, { itemId: 'veg-curry' })
      return fire(d, ctx)
    })
    // The bridge's machine syncs the ticket into its storage, then the process that prints
    // opens that storage offline.
    const printerDevice = await world.printer()
    const synced = createDeviceSource(printerDevice)
    await arrived(synced, url, [ticketId!])
    // Closed right after the ticket arrived: the close waits for the tables and checks the day
    // view is still opening, so the offline process finds them stored.
    await synced.close()
    await world.closePrinter()

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
          DEVICE_DIR: deviceDir,
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

    const device = await world.printer()
    const second = startBridge(device, dataDir, PRINTERS(printer))
    track(second.bridge, second.source)
    await arrived(second.source, url, [ticketId!])
    await second.bridge.whenIdle()
    expect(second.bridge.status().needsConfirmation.map((c) => c.ticketId)).toEqual([ticketId])
    expect(plainPrints(printer, ticketId!)).toBe(step === 'after-send' ? 1 : 0)
    expect(Object.values((await orderOn(device, url)).prints)).toEqual([])
  })
}
