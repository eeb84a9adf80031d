import { afterEach, expect, test } from 'vitest'
import { changeQuantity, ticketStates } from '@tabsync/core'
import { startFakePrinter, type FakePrinter } from '../src/fake/fake-printer.js'
import type { PrintBridge } from '../src/bridge/print-bridge.js'
import { startDemoPrintStation } from '../src/demo/demo-print-station.js'
import { createRepoSource } from '../src/source/repo-source.js'
import {
  addLine,
  createWorld,
  fire,
  heal,
  itemsOf,
  openTable,
  orderOf,
  replicaOf,
  run,
  startBridge,
  tempDir,
  till,
  voidLine,
} from './helpers.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

async function setup() {
  const world = createWorld()
  const kitchen = await startFakePrinter()
  const bar = await startFakePrinter()
  const dataDir = tempDir()
  const { bridge, source } = startBridge(world, dataDir, [
    { id: 'kitchen-printer', url: kitchen.url },
    { id: 'bar-printer', url: bar.url },
  ])
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
    await kitchen.close()
    await bar.close()
  })
  return { world, kitchen, bar, bridge, dataDir }
}

const settle = (bridge: PrintBridge) => bridge.whenIdle()

test('a fired order prints one readable ticket per station and the order shows it printed', async () => {
  const { world, kitchen, bar, bridge } = await setup()
  const anna = till(world, 'till-1')
  const order = await openTable(world, anna, 't4')
  run(order, (d) => {
    addLine(d, anna, { itemId: 'spritz', seat: 1 })
    addLine(d, anna, {
      itemId: 'burger',
      seat: 1,
      quantity: 2,
      note: 'no pickles',
      modifiers: [{ groupId: 'cooking', optionId: 'medium-rare' }],
    })
    addLine(d, anna, { itemId: 'tiramisu', seat: 2 })
    fire(d, anna)
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

  const o = orderOf(order)
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
  const anna = till(world, 'till-1')
  const order = await openTable(world, anna)
  const lineId = run(order, (d) => {
    const id = addLine(d, anna, {
      itemId: 'steak',
      quantity: 2,
      modifiers: [{ groupId: 'cooking', optionId: 'rare' }],
    })
    fire(d, anna)
    return id
  })
  await kitchen.waitForReceipts(1)
  run(order, (d) => voidLine(d, anna, { lineId, reason: 'guest left' }))
  await kitchen.waitForReceipts(2)
  await settle(bridge)
  const v = kitchen.receipts[1]!
  expect(v.void).toBe(true)
  expect(v.text).toContain('VOID 2x Ribeye steak')
  expect(kitchen.receipts).toHaveLength(2)
})

test('two devices fire the same line while partitioned, then heal: the kitchen receives it once', async () => {
  const { world, kitchen, bridge } = await setup()
  const anna = till(world, 'till-1')
  const ben = till(world, 'till-2')
  const order = await openTable(world, anna)
  run(order, (d) => addLine(d, anna, { itemId: 'salmon', quantity: 2 }))
  const a = replicaOf(order)
  const b = replicaOf(order)
  // Ben fires first (earlier clock) but his device reaches the bridge last.
  b.run((d) => fire(d, ben))
  a.run((d) => fire(d, anna))
  heal(order, a)
  await kitchen.waitForReceipts(1)
  await settle(bridge)
  heal(order, b)
  await settle(bridge)

  expect(kitchen.receipts).toHaveLength(1)
  expect(itemsOf(kitchen.receipts[0]!.text)).toEqual(new Map([['Grilled salmon', 2]]))
  const o = orderOf(order)
  const outcomes = Object.values(o.prints)
    .map((p) => p.outcome)
    .sort()
  expect(outcomes).toEqual(['duplicate', 'printed'])
  // The terminal sees every ticket accounted for.
  expect(ticketStates(o).every((t) => t.printed)).toBe(true)
})

test('a partially overlapping ticket prints only the units not printed yet', async () => {
  const { world, kitchen, bridge } = await setup()
  const anna = till(world, 'till-1')
  const ben = till(world, 'till-2')
  const order = await openTable(world, anna)
  const fries = run(order, (d) => addLine(d, anna, { itemId: 'fries', quantity: 2 }))
  const a = replicaOf(order)
  const b = replicaOf(order)
  a.run((d) => fire(d, anna)) // units 0-1
  // Meanwhile Ben adds a third portion and fires: his ticket says 3 units from 0.
  b.run((d) => {
    addLine(d, ben, { itemId: 'pasta' })
    changeQuantity(d, ben, { lineId: fries, delta: 1 })
    fire(d, ben)
  })
  heal(order, a)
  await kitchen.waitForReceipts(1)
  heal(order, b)
  await kitchen.waitForReceipts(2)
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
  const { world, kitchen, bridge } = await setup()
  const anna = till(world, 'till-1')
  const order = await openTable(world, anna)
  const [ticketId] = run(order, (d) => {
    addLine(d, anna, { itemId: 'pizza' })
    return fire(d, anna)
  })
  await kitchen.waitForReceipts(1)
  expect(bridge.reprint(ticketId!)).toEqual(['kitchen-printer'])
  await kitchen.waitForReceipts(2)
  await settle(bridge)
  expect(kitchen.receipts[1]!.reprint).toBe(true)
  expect(kitchen.receipts[1]!.ref).toBe(kitchen.receipts[0]!.ref)
  expect(itemsOf(kitchen.receipts[1]!.text)).toEqual(new Map([['Margherita pizza', 1]]))
  const outcomes = Object.values(orderOf(order).prints)
    .map((p) => p.outcome)
    .sort()
  expect(outcomes).toEqual(['printed', 'reprinted'])
  expect(() => bridge.reprint('0000-unknown')).toThrow(/never sent/)
})

export type { FakePrinter }

test('a second bridge on the same data directory is refused while the first runs', async () => {
  const { world, dataDir, kitchen } = await setup()
  expect(() => startBridge(world, dataDir, [{ id: 'kitchen-printer', url: kitchen.url }])).toThrow(
    /in use by another print bridge/,
  )
})

test('the demo print station shows a fired ticket as text', async () => {
  const world = createWorld()
  const source = createRepoSource({ repo: world.repo, storeUrl: world.storeUrl, deviceId: 'demo' })
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
  const anna = till(world, 'till-1')
  const order = await openTable(world, anna, 'b2')
  run(order, (d) => {
    addLine(d, anna, { itemId: 'negroni' })
    fire(d, anna)
  })
  await station.printers.get('bar-printer')!.waitForReceipts(1)
  expect(seen).toHaveLength(1)
  expect(seen[0]).toMatch(/^bar-printer: [\s\S]*TABLE Bar 2[\s\S]*1x Negroni/)
})
