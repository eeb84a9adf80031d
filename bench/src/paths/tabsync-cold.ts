// The Tabsync cold device: a new device (empty storage) opens the store through the relay and
// asks for the day's orders (`device.ordersOfDay`); the open ones are watched as they arrive.
import path from 'node:path'
import type { AutomergeUrl, DocumentId } from '@automerge/automerge-repo'
import { dirBytes } from '../fixtures/files.js'
import { now, sleep } from '../workload.js'
import { tabsyncDevice } from './tabsync-pair.js'

/** One cold start. `businessDate` is the day's (the fixture may be from an earlier day). */
export async function tabsyncCold(req: {
  url: string
  secret: string
  storeId: string
  storeUrl: AutomergeUrl
  openUrls: readonly AutomergeUrl[]
  businessDate: string
  dir: string
}): Promise<Record<string, number>> {
  const t0 = now()
  const device = await tabsyncDevice(
    req.url,
    req.secret,
    `cold-${Math.random().toString(36).slice(2, 8)}`,
    [req.storeId],
    {
      storeUrl: req.storeUrl,
      storage: { directory: path.join(req.dir, 'storage') },
    },
  )
  let usable = 0
  const open = req.openUrls.map((u) => u.slice('automerge:'.length) as DocumentId)
  let watching = true
  const watch = (async () => {
    while (watching) {
      if (open.every((id) => device.repo.handles[id]?.isReady())) {
        usable = now() - t0
        return
      }
      await sleep(2)
    }
  })()
  await device.ready()
  const orders = await device.ordersOfDay(req.businessDate)
  const loaded = now() - t0
  await device.flush()
  const whole = now() - t0
  watching = false
  await watch
  const openSeen = orders.filter((o) => req.openUrls.includes(o.url)).length
  await device.close()
  if (openSeen !== open.length || usable === 0) {
    throw new Error(
      `tabsync cold device: ${orders.length} orders, ${openSeen}/${open.length} open ones`,
    )
  }
  const stored = await dirBytes(path.join(req.dir, 'storage'))
  return { usable, loaded, whole, orders: orders.length, storedBytes: stored.bytes }
}
