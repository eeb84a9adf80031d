import { afterEach, expect, test } from 'vitest'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import { ticketRef } from '../src/escpos/render-ticket.js'
import { addLine, fire } from '@tabsync/core'
import { tempDir, waitForStatus } from './helpers.js'
import { arrived, openStoreNetwork, openTable, orderOn, startBridge } from './store-network.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

async function setup() {
  const world = await openStoreNetwork()
  cleanup.push(() => world.close())
  const printer = await startFakePrinter()
  const device = await world.printer()
  const { bridge, source } = startBridge(device, tempDir(), [
    { id: 'kitchen-printer', url: printer.url },
  ])
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
    await printer.close()
  })
  const url = await openTable(world.anna)
  /** Fires one line from the terminal; resolves once the bridge has the ticket. */
  const fireOne = async (itemId: string) => {
    const [id] = await world.anna.run(url, (d, ctx) => {
      addLine(d, ctx, { itemId })
      return fire(d, ctx)
    })
    await arrived(source, url, [id!])
    return id!
  }
  const prints = async () => Object.values((await orderOn(device, url)).prints)
  return { printer, bridge, prints, fireOne }
}

const kitchen = (s: ReturnType<Awaited<ReturnType<typeof setup>>['bridge']['status']>) =>
  s.printers[0]!

for (const fault of ['refuse', 'stall', 'paper-out'] as const) {
  test(`a printer that ${fault === 'paper-out' ? 'is out of paper' : fault + 's'}: tickets queue in order and print once when it is back`, async () => {
    const { printer, bridge, prints, fireOne } = await setup()
    await printer.setMode(fault)
    const ids = [await fireOne('soup'), await fireOne('burrata'), await fireOne('caesar')]
    const expectedState = fault === 'paper-out' ? 'paper-out' : 'offline'
    await waitForStatus(
      bridge,
      (s) => kitchen(s).state === expectedState && kitchen(s).consecutiveFailures >= 2,
    )
    const during = kitchen(bridge.status())
    expect(during.queue.map((q) => q.ticketId)).toEqual(ids)
    expect(during.lastError).not.toBeNull()
    expect(during.nextRetryAt).not.toBeNull()
    expect(printer.receipts.filter((r) => r.complete)).toEqual([])

    await printer.setMode('ok')
    await printer.waitForReceipts(3)
    await bridge.whenIdle()
    expect(printer.receipts.map((r) => [r.ref, r.complete, r.reprint])).toEqual(
      ids.map((id) => [ticketRef(id), true, false]),
    )
    expect(bridge.status().needsConfirmation).toEqual([])
    expect(kitchen(bridge.status()).state).toBe('ready')
    expect(await prints()).toHaveLength(3)
  })
}

test('a printer that drops mid-ticket: the cut ticket waits for staff, the rest print once', async () => {
  const { printer, bridge, prints, fireOne } = await setup()
  await printer.setMode('drop', { dropAfterBytes: 120 })
  const cut = await fireOne('salmon')
  await waitForStatus(bridge, (s) => s.needsConfirmation.length === 1)
  expect(printer.receipts.map((r) => r.complete)).toEqual([false])
  expect(kitchen(bridge.status()).state).toBe('error')
  const confirmation = bridge.status().needsConfirmation[0]!
  expect(confirmation.ticketId).toBe(cut)
  expect(confirmation.reason).toMatch(/mid-ticket/)
  expect(confirmation.items).toEqual([{ name: 'Grilled salmon', quantity: 1 }])

  await printer.setMode('ok')
  const next = await fireOne('pasta')
  await printer.waitForReceipts(2)
  await bridge.whenIdle()
  expect(printer.receipts[1]!.ref).toBe(ticketRef(next))
  // Never resent on its own: staff decide.
  expect(printer.receipts.filter((r) => r.ref === ticketRef(cut) && r.complete)).toEqual([])
  bridge.reprint(cut)
  await printer.waitForReceipts(3)
  await bridge.whenIdle()
  expect(printer.receipts[2]).toMatchObject({ ref: ticketRef(cut), complete: true, reprint: true })
  expect(bridge.status().needsConfirmation).toEqual([])
  const outcomes = (await prints()).map((p) => p.outcome).sort()
  expect(outcomes).toEqual(['printed', 'reprinted'])
})

test('a reprint asked while the printer is down waits and prints once when it is back', async () => {
  const { printer, bridge, fireOne } = await setup()
  const id = await fireOne('tiramisu')
  await printer.waitForReceipts(1)
  await bridge.whenIdle()
  await printer.setMode('refuse')
  bridge.reprint(id)
  await waitForStatus(bridge, (s) => kitchen(s).consecutiveFailures >= 2)
  expect(kitchen(bridge.status()).reprints).toEqual([id])
  await printer.setMode('ok')
  await printer.waitForReceipts(2)
  await bridge.whenIdle()
  expect(printer.receipts.map((r) => r.reprint)).toEqual([false, true])
  expect(kitchen(bridge.status()).reprints).toEqual([])
})
