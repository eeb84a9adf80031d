// What the cold-start tools (cold-trace.ts, cold-open-relay.ts) share: a bench context of their
// own (scratch folders under one temp dir, a log on stderr) and the cold-device workload's
// cached day with its business date.
import { mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as A from '@automerge/automerge'
import type { DocumentId } from '@automerge/automerge-repo'
import { cachedDay, type Day } from '../fixtures/day.js'
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
