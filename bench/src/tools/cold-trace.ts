// Where one cold start's time goes (issue 15): a new device (empty storage) of the cold-device
// workload's store and day, against a Tabsync relay child, `loadDay` of the day. Prints a
// timeline in ms from `openDevice`: the device's debug phases, each `POST /documents` (ids asked,
// floor or not, answer bytes, time to the answer's headers, which the relay sends once it has
// built the whole bundle, and to its last byte) and when the open checks are usable (polled as
// the workload does). `npx tsx --conditions=@tabsync/source bench/src/tools/cold-trace.ts [runs]
// [orders]`. The relay's data (the day uploaded through a device, as the workload does) is
// built once and kept in the os temp dir; each run starts a relay on a copy.
import { cp, rm } from 'node:fs/promises'
import os from 'node:os'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import type { DocumentId } from '@automerge/automerge-repo'
import { openDevice } from '@tabsync/sync'
import { issueToken } from '@tabsync/relay'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { now, sleep } from '../workload.js'
import { log, toolContext, toolDay, uploadedRelay } from './tool-day.js'

const runs = Number(process.argv[2] ?? 1)
const orders = Number(process.argv[3] ?? 2000)
const { ctx, scratch } = toolContext('cold-trace')
const { day, date } = await toolDay(orders)

// The relay's data with the day on it, kept between calls (per fixture: its store URL).
const { data: relayData, secret } = await uploadedRelay(ctx, day)

const open = day.openUrls.map((u) => u.slice('automerge:'.length) as DocumentId)
for (let run = 0; run < runs; run++) {
  const dir = await ctx.tempDir('relay')
  await cp(relayData, dir, { recursive: true })
  const { relay, url } = await startTabsyncRelay(ctx, { dir, secret })
  const events: [number, string][] = []
  let t0 = now()
  const at = (what: string) => events.push([now() - t0, what])
  const realFetch = globalThis.fetch
  globalThis.fetch = async (input, init) => {
    if (!String(input).endsWith('/documents')) return realFetch(input, init)
    const body = JSON.parse(String(init?.body)) as { ids: string[]; floor?: unknown }
    const asked = `${body.ids.length} ids${body.floor ? ' + floor' : ''}`
    const s = now()
    const res = await realFetch(input, init)
    const headers = now() - s
    const bytes = await res.arrayBuffer()
    at(
      `POST /documents ${asked}: ${bytes.byteLength} bytes, headers after ${headers.toFixed(1)} ms, ` +
        `body after ${(now() - s).toFixed(1)} ms (sent at ${(s - t0).toFixed(1)})`,
    )
    return new Response(bytes, { status: res.status, headers: res.headers })
  }
  const noop = () => undefined
  const logger = {
    debug: (fields: object, message: string) => {
      if ((fields as { phase?: string }).phase) at(message)
    },
    info: noop,
    warn: noop,
    error: noop,
  }
  const deviceId = `trace-${run}`
  const token = await issueToken({ secret, deviceId, storeIds: [day.storeId], role: 'terminal' })
  const storage = new NodeFSStorageAdapter(await ctx.tempDir('device'))
  t0 = now()
  const device = await openDevice({
    deviceId,
    token,
    endpoints: [url],
    storeUrl: day.storeUrl,
    storage,
    logger,
  })
  at('openDevice resolved')
  await device.ready()
  at('ready')
  // As the workload's open-only mode: stopped once the open checks are usable and the day stored
  // (loadDay then goes on opening the closed checks; closing the device ends it).
  const loading = device.loadDay(date).catch(() => undefined)
  while (!open.every((id) => device.repo.handles[id]?.isReady() === true)) await sleep(5)
  at('open checks usable')
  await device.fetchDay(date)
  at('whole day stored (fetchDay)')
  globalThis.fetch = realFetch
  await device.close()
  await loading
  await relay.stop()
  log(`run ${run + 1}/${runs} (load ${os.loadavg()[0]!.toFixed(2)})`)
  for (const [t, what] of events) log(`${t.toFixed(1).padStart(8)}  ${what}`)
}
await rm(scratch, { recursive: true, force: true })
