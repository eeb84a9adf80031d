// Puts a built day on a Tabsync relay the only way the relay accepts content: a device of the
// store brings it (ownership is claimed by the introducer's store). Then waits until the relay
// holds every document at the expected heads.
import * as A from '@automerge/automerge'
import type { DocumentId } from '@automerge/automerge-repo'
import type { Child } from '../child/processes.js'
import type { Day } from '../fixtures/day.js'
import { sleep, now } from '../workload.js'
import { tabsyncDevice, whenDeviceOnline } from './tabsync-pair.js'

const UPLOAD_BATCH = 100

/** Uploads `day` through a back-office device; resolves when the relay has all of it. */
export async function uploadDay(
  relay: Child,
  url: string,
  secret: string,
  day: Day,
  log: (m: string) => void,
): Promise<void> {
  const device = await tabsyncDevice(
    url,
    secret,
    'backoffice-upload',
    [day.storeId],
    { reopen: false },
    'backoffice',
  )
  await whenDeviceOnline(device)
  const expected: [DocumentId, string][] = []
  for (const [id, bytes] of day.docs) expected.push([id, A.getHeads(A.load(bytes)).sort().join()])
  const t = now()
  // Store and tables first (what a device created first), then the orders in batches.
  const ordered = [...day.docs.keys()].sort((a, b) => rank(day, a) - rank(day, b))
  // In batches, each confirmed by the relay before the next: 2,000 documents announced at once
  // overload a busy machine (the relay's own 60 s waits fire).
  const heads = new Map(expected)
  for (let start = 0; start < ordered.length; start += UPLOAD_BATCH) {
    const batch = ordered.slice(start, start + UPLOAD_BATCH)
    for (const id of batch) device.repo.import(day.docs.get(id) as Uint8Array, { docId: id })
    const docs = batch.map((id) => [id, heads.get(id)] as const)
    for (;;) {
      const { count } = await relay.request<{ count: number }>({ type: 'has', docs })
      if (count === batch.length) break
      if (now() - t > 900_000)
        throw new Error(`upload stalled at ${start + count}/${expected.length}`)
      await sleep(100)
    }
  }
  log(`uploaded ${expected.length} documents in ${((now() - t) / 1000).toFixed(1)} s`)
  await device.close()
}

function rank(day: Day, id: DocumentId): number {
  const url = `automerge:${id}`
  if (url === day.storeUrl) return 1
  if (day.tableUrls.includes(url as never)) return 0
  return 2
}
