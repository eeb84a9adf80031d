// Where a human-pace change's time goes, segment by segment, laid out as the `latency` workload
// runs it: the Tabsync relay in its own process, devices A and B in this one.
// `npx tsx --conditions=@tabsync/source bench/src/tools/latency-trace.ts [changes] [rounds]`
// Per change: A's command starts, A's change frame leaves, the relay reads and forwards it
// (frame-clock.mjs, preloaded into the relay), B's socket reads it, B's handle emits the change.
// Each segment in wall time and in CPU time of the process it runs in (`process.cpuUsage`, all
// threads): on a loaded machine wall time says how long, CPU time how much work. "device CPU
// while the relay forwards" is work this process did between A's frame out and B's frame in
// (A's bookkeeping, sync messages): when it runs late it is what B's read waits for.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { addLine } from '@tabsync/core'
import { Device } from '@tabsync/sync'
import { startChild } from '../child/processes.js'
import { lineInput } from '../fixtures/orders.js'
import { paced, until } from '../fixtures/schedule.js'
import { tabsyncPair } from '../paths/tabsync-pair.js'
import { sleep } from '../workload.js'

const changes = Number(process.argv[2] ?? 100)
const rounds = Number(process.argv[3] ?? 1)
const intervalMs = 30

/** A moment on the machine's clock (comparable with the relay's) and this process's CPU. */
interface Mark {
  readonly t: number
  readonly cpu: number
}
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const at = (): Mark => ({ t: performance.timeOrigin + performance.now(), cpu: cpuMs() })

/** Type and ends of a repo frame, read from its first bytes (CBOR text keys and values). */
function peek(data: unknown): { head: string; type: string; fromA: boolean; toB: boolean } {
  const u8 = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array)
  const head = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('latin1')
  const type = head.includes('tabsync-change') ? 'change' : head.includes('sync') ? 'sync' : 'other'
  return {
    head,
    type,
    fromA: /senderId(?:[\x60-\x77]|\x78.)till-a\//s.test(head),
    toB: /targetId(?:[\x60-\x77]|\x78.)till-b\//s.test(head),
  }
}

// The change in flight: marks by name.
let current: Record<string, Mark> | undefined
const mark = (name: string) => {
  if (current && current[name] === undefined) current[name] = at()
}
const send = WebSocket.prototype.send
WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
  if (current) {
    const f = peek(data)
    if (f.fromA) mark(`A ${f.type} out`)
  }
  return (send as (...a: unknown[]) => void).call(this, data, ...rest)
} as typeof WebSocket.prototype.send
// When A's command resolves ("saved": flushed, hints written): the end of its bookkeeping.
const run = Device.prototype.run
Device.prototype.run = function (this: Device, ...args: Parameters<Device['run']>) {
  const row = current
  return run.apply(this, args).finally(() => {
    if (row && row['A saved'] === undefined) row['A saved'] = at()
  })
} as Device['run']
const emit = WebSocket.prototype.emit
WebSocket.prototype.emit = function (this: WebSocket, event: string, ...args: unknown[]) {
  if (event === 'message' && current) {
    const f = peek(args[0])
    if (f.toB) mark(`B ${f.type} in`)
    else if (f.type === 'sync' && /targetId(?:[\x60-\x77]|\x78.)till-a\//s.test(String(f.head)))
      mark('A sync in')
  }
  return emit.call(this, event, ...args)
} as typeof WebSocket.prototype.emit

const dir = await mkdtemp(path.join(os.tmpdir(), 'tabsync-latency-trace-'))
const secret = randomBytes(32).toString('hex')
const clockFile = path.join(dir, 'relay-frames.jsonl')
const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), 'frame-clock.mjs')
const relay = await startChild('tabsync-relay', {
  env: {
    TABSYNC_BENCH_DIR: dir,
    TABSYNC_BENCH_SECRET: secret,
    TABSYNC_FRAME_CLOCK: clockFile,
    NODE_OPTIONS: `--import ${preload}`,
  },
})
const pair = await tabsyncPair(String(relay.ready['url']), secret)
const urls = await pair.createOrders(8)
await sleep(300)

const allRows: Record<string, Mark>[][] = []
for (let round = 0; round < rounds; round++) {
  const rows: Record<string, Mark>[] = []
  allRows.push(rows)
  const pending = new Map<string, Record<string, Mark>>()
  const offs = urls.map((u) => {
    const h = pair.observe(u)
    const listener = ({
      patches,
    }: {
      patches: readonly { action: string; path: readonly (string | number)[] }[]
    }) => {
      for (const p of patches) {
        if (p.action !== 'put' || p.path.length !== 2 || p.path[0] !== 'lines') continue
        const row = pending.get(String(p.path[1]))
        if (!row) continue
        pending.delete(String(p.path[1]))
        row['B change'] = at()
      }
    }
    h.on('change', listener)
    return () => h.off('change', listener)
  })
  await paced(changes, intervalMs, async (i) => {
    // One change in flight at a time, so that every mark belongs to it.
    await until(
      () => pending.size === 0 && (current === undefined || current['A applied'] !== undefined),
      1000,
      1,
    )
    const row: Record<string, Mark> = { start: at() }
    current = row
    rows.push(row)
    const url = urls[i % urls.length] as AutomergeUrl
    pair.change(url, (d, ctx) => {
      pending.set(addLine(d, ctx, lineInput(i)), row)
      row['A applied'] = at()
    })
  })
  await until(() => pending.size === 0, 5000)
  await sleep(50)
  current = undefined
  for (const off of offs) off()
}
await pair.close()
await relay.stop()

// The relay's reads and forwards of change frames (machine clock, relay CPU).
const relayFrames = (await readFile(clockFile, 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { t: number; cpu: number; dir: 'in' | 'out' })
const q = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN
}
for (const [round, rows] of allRows.entries()) {
  const wall: Record<string, number[]> = {}
  const cpu: Record<string, number[]> = {}
  const seg = (name: string, a: Mark | undefined, b: Mark | undefined) => {
    if (!a || !b) return
    ;(wall[name] ??= []).push(b.t - a.t)
    ;(cpu[name] ??= []).push(b.cpu - a.cpu)
  }
  for (const r of rows) {
    const out = r['A change out']
    const rin = out && relayFrames.find((f) => f.dir === 'in' && f.t >= out.t)
    const rout = rin && relayFrames.find((f) => f.dir === 'out' && f.t >= rin.t)
    seg('A start -> applied', r['start'], r['A applied'])
    seg('A applied -> change frame out', r['A applied'], out)
    seg('A frame out -> relay in', out, rin ? { t: rin.t, cpu: NaN } : undefined)
    seg('relay in -> out', rin, rout)
    seg('relay out -> B frame in', rout ? { t: rout.t, cpu: NaN } : undefined, r['B change in'])
    seg('B frame in -> B change', r['B change in'], r['B change'])
    seg('device CPU while relay forwards', out, r['B change in'])
    seg('A frame out -> A saved', out, r['A saved'])
    seg('A frame out -> A sync out', out, r['A sync out'])
    seg('A frame out -> relay ack in', out, r['A sync in'])
    seg('total', r['start'], r['B change'])
  }
  process.stdout.write(
    `round ${round + 1}: ${rows.length} changes; wall ms p10 / p50 / p90 | CPU ms p50\n`,
  )
  for (const [k, v] of Object.entries(wall)) {
    const c = (cpu[k] ?? []).filter(Number.isFinite)
    const cs = c.length ? q(c, 0.5).toFixed(2) : '-'
    process.stdout.write(
      `  ${k.padEnd(32)} ${q(v, 0.1).toFixed(2)} / ${q(v, 0.5).toFixed(2)} / ${q(v, 0.9).toFixed(2)} | ${cs}\n`,
    )
  }
}
await rm(dir, { recursive: true, force: true })
process.exit(0)
