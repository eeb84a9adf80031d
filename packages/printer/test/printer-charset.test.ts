import { afterEach, expect, test } from 'vitest'
import type { StoreDoc } from '@tabsync/core'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import {
  addLine,
  createWorld,
  fire,
  openTable,
  run,
  startBridge,
  tempDir,
  till,
} from './helpers.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

test('the bridge prints with the code pages the store document gives the printer, read back as written', async () => {
  const world = createWorld()
  // A Star printer with Cyrillic and Thai pages: Star numbers them differently from Epson.
  const store = await world.repo.find<StoreDoc>(world.storeUrl)
  store.change((d) => {
    const kitchen = d.printers['kitchen-printer'] as { charset?: unknown }
    kitchen.charset = { mapping: 'star', codepages: ['cp437', 'cp866', 'thai13'] }
  })
  const kitchen = await startFakePrinter({ codePageMapping: 'star' })
  const bar = await startFakePrinter()
  const { bridge, source } = startBridge(world, tempDir(), [
    { id: 'kitchen-printer', url: kitchen.url },
    { id: 'bar-printer', url: bar.url },
  ])
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
    await kitchen.close()
    await bar.close()
  })
  const anna = till(world, 'till-1')
  const order = await openTable(world, anna, 't4')
  run(order, (d) => {
    addLine(d, anna, { itemId: 'soup', note: 'Борщ, ผัดไทย, no 🥜, 麻婆豆腐' })
    fire(d, anna)
  })
  const [receipt] = await kitchen.waitForReceipts(1, 20_000)
  const text = receipt!.text.replace(/\s+/g, ' ')
  expect(text).toContain('! Борщ, ผัดไทย, no [peanuts], Ma Po Dou Fu')
})
