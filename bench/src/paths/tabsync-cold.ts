// The Tabsync cold device: a new device (empty storage) opens the store through the relay and
// asks for the day's orders (`device.loadDay`: bulk fetch, then every order opened from storage);
// the open ones are watched as they become usable, while the call runs.
import path from 'node:path'
import type { AutomergeUrl, DocumentId } from '@automerge/automerge-repo'
import { dirBytes } from '../fixtures/files.js'
import { now, sleep } from '../workload.js'
import { tabsyncDevice } from './tabsync-pair.js'

/** Figures are capped here when the device never gets everything (the count figures say so). */
const CAP_MS = 120_000

/** One cold start. `businessDate` is the day's (the fixture may be from an earlier day). */
export async function tabsyncCold(req: {
  url: string
  secret: string
  storeId: string
  storeUrl: AutomergeUrl
  openUrls: readonly AutomergeUrl[]
  allUrls: readonly AutomergeUrl[]
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
  const open = new Set(req.openUrls.map((u) => u.slice('automerge:'.length) as DocumentId))
  const all = req.allUrls.map((u) => u.slice('automerge:'.length) as DocumentId)
  const ready = (id: DocumentId) => device.repo.handles[id]?.isReady() === true
  await device.ready()
  let usable = 0
  let returned: Awaited<ReturnType<typeof device.loadDay>> | undefined
  let storedAt = 0
  let fetching: Promise<unknown> | undefined
  // Whole day stored: loadDay is fetching the rest by then; fetchDay resolves when it is stored.
  const whenStored = () => device.fetchDay(req.businessDate).then(() => (storedAt = now() - t0))
  const loading = device.loadDay(req.businessDate).then((day) => (returned = day))
  while (!returned && now() - t0 < CAP_MS) {
    if (usable === 0 && [...open].every(ready)) {
      usable = now() - t0
      fetching = whenStored()
    }
    await sleep(5)
  }
  fetching ??= whenStored()
  await Promise.all([loading, fetching])
  const returnedAt = now() - t0
  const orders = returned?.orders ?? []
  // Keep watching the repo (up to CAP_MS from the start) for what loadDay reported missing.
  let whole = 0
  while (now() - t0 < CAP_MS) {
    if (usable === 0 && [...open].every(ready)) usable = now() - t0
    if (all.every(ready)) {
      await device.flush()
      whole = now() - t0
      break
    }
    await sleep(20)
  }
  const openReturned = orders.filter((o) =>
    open.has(o.url.slice('automerge:'.length) as DocumentId),
  ).length
  const readyCount = all.filter(ready).length
  await device.close()
  const stored = await dirBytes(path.join(req.dir, 'storage'))
  return {
    usable: usable || CAP_MS,
    whole: whole || CAP_MS,
    returnedAt,
    stored: storedAt,
    returned: orders.length,
    missing: returned?.missing.length ?? 0,
    openReturned,
    readyCount,
    storedBytes: stored.bytes,
  }
}
