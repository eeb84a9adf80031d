import { Repo, type PeerId } from '@automerge/automerge-repo'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { addLine, fire } from '@tabsync/core'
import { openDevice, type Device } from '@tabsync/sync'
import { createSimNetwork } from '@tabsync/sync/testing'
import { afterEach, expect, test } from 'vitest'
import { createPrintBridge } from '../src/bridge/print-bridge.js'
import { startFakePrinter } from '../src/fake/fake-printer.js'
import { createDeviceSource } from '../src/source/device-source.js'
import { itemsOf, tempDir } from './helpers.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

test('over @tabsync/sync: a ticket fired on a terminal prints through the hub, and the terminal sees it printed', async () => {
  const net = createSimNetwork({ seed: 7 })
  const hub = new Repo({
    network: [net.adapter('hub', { kind: 'hub' })],
    peerId: 'hub' as PeerId,
    sharePolicy: async () => true,
  })
  cleanup.push(() => hub.shutdown())
  net.link('till-1', 'hub')
  net.link('printer-1', 'hub')
  const open = (deviceId: string, storeUrl?: Device['storeUrl']) =>
    openDevice({
      deviceId,
      storage: 'memory',
      network: [net.adapter(deviceId)],
      ...(storeUrl ? { storeUrl } : {}),
    })
  const till = await open('till-1')
  cleanup.push(() => till.close())
  const { storeUrl } = await till.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
  })
  const printerDevice = await open('printer-1', storeUrl)
  cleanup.push(() => printerDevice.close())
  await printerDevice.ready()

  const printer = await startFakePrinter()
  cleanup.push(() => printer.close())
  const source = createDeviceSource(printerDevice)
  const bridge = createPrintBridge({
    source,
    dataDir: tempDir(),
    printers: [{ id: 'kitchen-printer', url: printer.url }],
    retry: { initialMs: 10, maxMs: 40 },
  })
  cleanup.push(async () => {
    await bridge.stop()
    await source.close()
  })

  const { url } = await till.openOrder('t7', { guests: 2 })
  await till.run(url, (doc, ctx) => {
    addLine(doc, ctx, { itemId: 'risotto', quantity: 2 })
    addLine(doc, ctx, { itemId: 'beer' })
    fire(doc, ctx)
  })
  await printer.waitForReceipts(1)
  expect(printer.receipts[0]!.text).toContain('TABLE 7')
  expect(itemsOf(printer.receipts[0]!.text)).toEqual(new Map([['Mushroom risotto', 2]]))

  // The print record flows back to the terminal: its ticket view says printed.
  await new Promise<void>((resolve) => {
    const off = till.watchOrder(url, (summary) => {
      const kitchen = summary.tickets.find((t) => t.ticket.station === 'kitchen')
      if (kitchen?.printed) {
        off()
        resolve()
      }
    })
  })
  await bridge.whenIdle()
  expect(printer.receipts).toHaveLength(1)
  // No bar printer on this bridge: the bar ticket waits for whoever owns it.
  expect(bridge.status().printers.map((p) => p.id)).toEqual(['kitchen-printer'])
})
