import { afterEach, expect, test } from 'vitest'
import { addLine, fire } from '@tabsync/core'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import { tempDir } from './helpers.js'
import { openStoreNetwork, openTable, startBridge } from './store-network.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

test('the bridge prints with the code pages the store document gives the printer, read back as written', async () => {
  // A Star printer with Cyrillic and Thai pages: Star numbers them differently from Epson.
  const world = await openStoreNetwork({
    store: (init) => ({
      ...init,
      printers: {
        ...init.printers,
        'kitchen-printer': {
          ...init.printers['kitchen-printer']!,
          charset: { mapping: 'star', codepages: ['cp437', 'cp866', 'thai13'] },
        },
      },
    }),
  })
  cleanup.push(() => world.close())
  const kitchen = await startFakePrinter({ codePageMapping: 'star' })
  const bar = await startFakePrinter()
  const { bridge, source } = startBridge(await world.printer(), tempDir(), [
    { id: 'kitchen-printer', url: kitchen.url },
    { id: 'bar-printer', url: bar.url },
  ])
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
    await kitchen.close()
    await bar.close()
  })
  const url = await openTable(world.anna, 't4')
  await world.anna.run(url, (d, ctx) => {
    addLine(d, ctx, { itemId: 'soup', note: 'Борщ, ผัดไทย, no 🥜, 麻婆豆腐' })
    fire(d, ctx)
  })
  const [receipt] = await kitchen.waitForReceipts(1, 20_000)
  const text = receipt!.text.replace(/\s+/g, ' ')
  expect(text).toContain('! Борщ, ผัดไทย, no [peanuts], Ma Po Dou Fu')
})
