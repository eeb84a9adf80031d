import { afterEach, expect, test } from 'vitest'
import { addLine, changeQuantity, fire, ticketStates, voidLine } from '@tabsync/core'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import type { PrintBridge } from '../src/bridge/print-bridge.js'
import { startDemoPrintStation } from '../src/demo/demo-print-station.js'
import { createDeviceSource } from '../src/source/device-source.js'
import { itemsOf, tempDir } from './helpers.js'
import {
  arrived,
  converged,
  openStoreNetwork,
  openTable,
  orderOn,
  startBridge,
  type StoreNetwork,
} from './store-network.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

async function setup() {
  const world = await openStoreNetwork()
  cleanup.push(() => world.close())
  const kitchen = await startFakePrinter()
  const bar = await startFakePrinter()
  const dataDir = tempDir()
  const device = await world.printer()
  const { bridge, source } = startBridge(device, dataDir, [
    { id: 'kitchen-printer', url: kitchen.url },
    { id: 'bar-printer', url: bar.url },
  ])
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
    await kitchen.close()
    await bar.close()
  })
  return { world, device, kitchen, bar, bridge, source, dataDir }
}

const settle = (bridge: PrintBridge) => bridge.whenIdle()

/** Two terminals that both have the order, then go offline (the hub no longer reaches them). */
async function partitioned(world: StoreNetwork, url: Awaited<ReturnType<typeof openTable>>) {
  const ben = await world.till('till-2')
  await ben.orderSummary(url)
  await converged(url, [world.anna.repo, ben.repo])
  world.net.partition('till-1', 'hub')
  world.net.partition('till-2', 'hub')
  return ben
}

test('a fired order prints one readable ticket per station and the order shows it printed', async () => {
  const { world, device, kitchen, bar, bridge } = await setup()
  const url = await openTable(world.anna, 't4')
  await world.anna.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'spritz', seat: 1 })
    addLine(d, ctx, {
      itemId: 'burger',
      seat: 1,
      quantity: 2,
      note: 'no pickles',
      modifiers: [{ groupId: 'cooking', optionId: 'medium-rare' }],
    })
    addLine(d, ctx, { itemId: 'tiramisu', seat: 2 })
    fire(d, ctx)
  })
  await kitchen.waitForReceipts(1)
  await bar.waitForReceipts(1)
  await settle(bridge)

  const k = kitchen.receipts[0]!
  expect(k.complete).toBe(true)
  expect(k.reprint).toBe(false)
  expect(k.text).toContain('TABLE 4')
  expect(k.text).toContain('KITCHEN')
  expect(k.text).toContain('Server: till-1')
  expect(k.text).toMatch(
    /-- COURSE 2 --[\s\S]*2x House burger[\s\S]*seat 1[\s\S]*\+ Medium rare[\s\S]*! no pickles/,
  )
  expect(k.text).toMatch(/-- COURSE 3 --[\s\S]*1x Tiramisu[\s\S]*seat 2/)
  expect(k.text).not.toContain('Spritz')
  expect(itemsOf(bar.receipts[0]!.text)).toEqual(new Map([['Spritz', 1]]))

  const o = await orderOn(device, url)
  const states = ticketStates(o)
  expect(states).toHaveLength(2)
  expect(states.every((t) => t.printed)).toBe(true)
  const outcomes = Object.values(o.prints).map((p) => `${p.printerId}:${p.outcome}`)
  expect(outcomes.sort()).toEqual(['bar-printer:printed', 'kitchen-printer:printed'])

  const status = bridge.status()
  expect(status.needsConfirmation).toEqual([])
  expect(status.printers.map((p) => [p.id, p.state, p.queue.length])).toEqual([
    ['kitchen-printer', 'ready', 0],
    ['bar-printer', 'ready', 0],
  ])
  expect(kitchen.receipts).toHaveLength(1)
})

test('a fired line voided later prints a VOID ticket', async () => {
  const { world, kitchen, bridge } = await setup()
  const url = await openTable(world.anna)
  const lineId = await world.anna.run(url, (d, ctx) => {
    const id = addLine(d, ctx, {
      itemId: 'steak',
      quantity: 2,
      modifiers: [{ groupId: 'cooking', optionId: 'rare' }],
    })
    fire(d, ctx)
    return id
  })
  await kitchen.waitForReceipts(1)
  await world.anna.run(url, (d, ctx) => voidLine(d, ctx, { lineId, reason: 'guest left' }))
  await kitchen.waitForReceipts(2)
  await settle(bridge)
  const v = kitchen.receipts[1]!
  expect(v.void).toBe(true)
  expect(v.text).toContain('VOID 2x Ribeye steak')
  expect(kitchen.receipts).toHaveLength(2)
})

test('two devices fire the same line while partitioned, then heal: the kitchen receives it once', async () => {
  const { world, device, kitchen, bridge, source } = await setup()
  const { anna, net } = world
  const url = await openTable(anna)
  await anna.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'salmon', quantity: 2 }))
  const ben = await partitioned(world, url)
  // Ben fires first (earlier clock) but his device reaches the bridge last.
  const [benTicket] = await ben.run(url, (d, ctx) => fire(d, ctx))
  const [annaTicket] = await anna.run(url, (d, ctx) => fire(d, ctx))
  net.heal('till-1', 'hub')
  await kitchen.waitForReceipts(1)
  await arrived(source, url, [annaTicket!])
  await settle(bridge)
  net.heal('till-2', 'hub')
  await arrived(source, url, [benTicket!])
  await settle(bridge)

  expect(kitchen.receipts).toHaveLength(1)
  expect(itemsOf(kitchen.receipts[0]!.text)).toEqual(new Map([['Grilled salmon', 2]]))
  const o = await orderOn(device, url)
  const outcomes = Object.values(o.prints)
    .map((p) => p.outcome)
    .sort()
  expect(outcomes).toEqual(['duplicate', 'printed'])
  // The terminal sees every ticket accounted for.
  await converged(url, [device.repo, ben.repo])
  expect(ticketStates(await orderOn(ben, url)).every((t) => t.printed)).toBe(true)
})

test('a partially overlapping ticket prints only the units not printed yet', async () => {
  const { world, kitchen, bridge, source } = await setup()
  const { anna, net } = world
  const url = await openTable(anna)
  const fries = await anna.run(url, (d, ctx) => addLine(d, ctx, { itemId: 'fries', quantity: 2 }))
  const ben = await partitioned(world, url)
  await anna.run(url, (d, ctx) => fire(d, ctx)) // units 0-1
  // Meanwhile Ben adds a third portion and fires: his ticket says 3 units from 0.
  const [benTicket] = await ben.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'pasta' })
    changeQuantity(d, ctx, { lineId: fries, delta: 1 })
    return fire(d, ctx)
  })
  net.heal('till-1', 'hub')
  await kitchen.waitForReceipts(1)
  net.heal('till-2', 'hub')
  await kitchen.waitForReceipts(2)
  await arrived(source, url, [benTicket!])
  await settle(bridge)
  expect(kitchen.receipts).toHaveLength(2)
  expect(itemsOf(kitchen.receipts[0]!.text)).toEqual(new Map([['Fries', 2]]))
  expect(itemsOf(kitchen.receipts[1]!.text)).toEqual(
    new Map([
      ['Fries', 1],
      ['Tagliatelle ragu', 1],
    ]),
  )
})

test('staff reprint a ticket: it prints again under a REPRINT banner, recorded as reprinted', async () => {
  const { world, device, kitchen, bridge } = await setup()
  const url = await openTable(world.anna)
  const [ticketId] = await world.anna.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'pizza' })
    return fire(d, ctx)
  })
  await kitchen.waitForReceipts(1)
  await settle(bridge)
  expect(bridge.reprint(ticketId!)).toEqual(['kitchen-printer'])
  await kitchen.waitForReceipts(2)
  await settle(bridge)
  expect(kitchen.receipts[1]!.reprint).toBe(true)
  expect(kitchen.receipts[1]!.ref).toBe(kitchen.receipts[0]!.ref)
  expect(itemsOf(kitchen.receipts[1]!.text)).toEqual(new Map([['Margherita pizza', 1]]))
  const outcomes = Object.values((await orderOn(device, url)).prints)
    .map((p) => p.outcome)
    .sort()
  expect(outcomes).toEqual(['printed', 'reprinted'])
  expect(() => bridge.reprint('0000-unknown')).toThrow(/never sent/)
})

test('a second bridge on the same data directory is refused while the first runs', async () => {
  const { device, dataDir, kitchen } = await setup()
  expect(() => startBridge(device, dataDir, [{ id: 'kitchen-printer', url: kitchen.url }])).toThrow(
    /in use by another print bridge/,
  )
})

test('the demo print station shows a fired ticket as text', async () => {
  const world = await openStoreNetwork()
  cleanup.push(() => world.close())
  const source = createDeviceSource(await world.printer())
  const seen: string[] = []
  const station = await startDemoPrintStation({
    source,
    dataDir: tempDir(),
    onReceipt: (id, r) => seen.push(`${id}: ${r.text}`),
  })
  cleanup.push(async () => {
    await station.stop()
    await source.close()
  })
  const url = await openTable(world.anna, 'b2')
  await world.anna.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'negroni' })
    fire(d, ctx)
  })
  await station.printers.get('bar-printer')!.waitForReceipts(1)
  expect(seen).toHaveLength(1)
  expect(seen[0]).toMatch(/^bar-printer: [\s\S]*TABLE Bar 2[\s\S]*1x Negroni/)
})
