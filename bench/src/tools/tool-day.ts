// What the cold-start tools (cold-trace.ts, cold-open-relay.ts) share: a bench context of their
// own (scratch folders under one temp dir, a log on stderr), the cold-device workload's cached
// day with its business date, and a relay's data with that day uploaded, kept between calls.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import type { DocumentId } from '@automerge/automerge-repo'
import { cachedDay, type Day } from '../fixtures/day.js'
import { startTabsyncRelay } from '../paths/tabsync-relay-child.js'
import { uploadDay } from '../paths/tabsync-upload.js'
import type { BenchContext } from '../workload.js'

/** A log line on stderr (stdout is the tool's result). */
export const log = (m: string): void => void process.stderr.write(`${m}\n`)

/** A bench context for a tool: its temp folders live under `scratch` (remove it at the end). */
export function toolContext(name: string): { ctx: BenchContext; scratch: string } {
  const scratch = path.join(os.tmpdir(), `tabsync-${name}-${process.pid}`)
  const ctx = {
    tempDir: async (label: string) => {
      const dir = path.join(scratch, `${label}-${Math.random().toString(36).slice(2, 8)}`)
      await mkdir(dir, { recursive: true })
      return dir
    },
    log,
  } as unknown as BenchContext
  return { ctx, scratch }
}

/** The workload's day of `orders` orders (60 open), cached on disk, and its business date. */
export async function toolDay(orders: number): Promise<{ day: Day; date: string }> {
  const day = await cachedDay({ orders, open: 60 }, log)
  const first = A.load<{ businessDate: unknown }>(
    day.docs.get(day.openUrls[0]!.slice('automerge:'.length) as DocumentId)!,
  )
  return { day, date: String(first.businessDate) }
}

/**
 * A relay's data directory with `day` uploaded through a device (as the workload does) and its
 * secret; built once per fixture (its store URL) in the os temp dir and kept. Copy `data` before
 * starting a relay on it.
 */
export async function uploadedRelay(
  ctx: BenchContext,
  day: Day,
): Promise<{ data: string; secret: string }> {
  const template = path.join(os.tmpdir(), `tabsync-cold-trace-relay-${day.storeUrl.slice(10, 22)}`)
  const data = path.join(template, 'data')
  try {
    await stat(path.join(template, 'done'))
    return { data, secret: await readFile(path.join(template, 'secret'), 'utf8') }
  } catch {
    log(`uploading the day to a relay kept in ${template}`)
    await rm(template, { recursive: true, force: true })
    const up = await startTabsyncRelay(ctx, {
      dir: data,
      limits: { messagesPerSecond: 100_000, messageBurst: 100_000 },
    })
    await uploadDay(up.relay, up.url, up.secret, day, log)
    await up.relay.stop()
    await writeFile(path.join(template, 'secret'), up.secret)
    await writeFile(path.join(template, 'done'), '')
    return { data, secret: up.secret }
  }
}
