// Where a change's time goes, hop by hop:
// `npx tsx bench/src/tools/hop-trace.ts [stock|tabsync|tabsync-sync-only] [changes]`
// (`tabsync-sync-only`: the change fast path off, the sync exchange alone).
// Relay and both devices run in this one process (one clock); every WebSocket frame is decoded
// to see who sends what when. Prints the median time from the command's start to each hop.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { decode } from 'cbor-x'
import WebSocket from 'ws'
import { addLine } from '@tabsync/core'
import { startRelay } from '@tabsync/relay'
import { lineInput } from '../fixtures/orders.js'
import type { SyncPair } from '../fixtures/sync-pair.js'
import { tabsyncPair } from '../paths/tabsync-pair.js'
import { stockPair } from '../peers/stock-pair.js'
import { startStockRelay } from '../peers/stock-repo.js'
import { median } from '../stats.js'
import { now, sleep } from '../workload.js'

const kind = process.argv[2] ?? 'stock'
const changes = Number(process.argv[3] ?? 40)

interface Frame {
  readonly t: number
  readonly type: string
  readonly from: string
  readonly to: string
  readonly doc: string
  readonly bytes: number
}
const frames: Frame[] = []
const send = WebSocket.prototype.send
WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
  try {
    const m = decode(new Uint8Array(data as ArrayBuffer)) as Record<string, unknown>
    frames.push({
      t: now(),
      type: String(m['type']),
      from: String(m['senderId']),
      to: String(m['targetId']),
      doc: String(m['documentId']),
      bytes: (data as ArrayBuffer).byteLength,
    })
  } catch {
    // not a CBOR frame (pings, text)
  }
  return (send as (...a: unknown[]) => void).call(this, data, ...rest)
} as typeof WebSocket.prototype.send

const dir = await mkdtemp(path.join(os.tmpdir(), 'tabsync-hop-'))
let pair: SyncPair
let close: () => Promise<void>
if (kind === 'tabsync' || kind === 'tabsync-sync-only') {
  const secret = 'hop-trace-secret-0123456789abcdef'
  const relay = await startRelay({
    port: 0,
    dataDir: dir,
    secret,
    logLevel: 'silent',
  })
  pair = await tabsyncPair(relay.syncUrl, secret, { changeFrames: kind === 'tabsync' })
  close = () => relay.close()
} else {
  const relay = await startStockRelay(dir)
  pair = await stockPair(`ws://127.0.0.1:${relay.port}`)
  close = () => relay.close()
}
const isA = (p: string) => p.startsWith('bench-a') || p.startsWith('till-a/')
const isB = (p: string) => p.startsWith('bench-b') || p.startsWith('till-b/')
const urls = await pair.createOrders(8)
await sleep(500)
const hops: Record<string, number[]> = {
  applied: [],
  'A->relay': [],
  'relay->B': [],
  'A->relay fast': [],
  'relay->B fast': [],
  'B change': [],
  'B ack->relay': [],
}
const traffic: Record<string, { frames: number; bytes: number }> = {}
for (let i = 0; i < changes; i++) {
  const url = urls[i % urls.length] as (typeof urls)[number]
  const doc = url.slice('automerge:'.length)
  const h = pair.observe(url)
  frames.length = 0
  let seen = 0
  const arrived = new Promise<void>((resolve) =>
    h.once('change', () => ((seen = now()), resolve())),
  )
  const t0 = now()
  let applied = 0
  pair.change(url, (d, ctx) => {
    addLine(d, ctx, lineInput(i))
    applied = now()
  })
  await arrived
  await sleep(60)
  const first = (f: (x: Frame) => boolean, type = 'sync') =>
    frames.find((x) => x.doc === doc && x.type === type && f(x))?.t
  const aSend = first((x) => isA(x.from) && !isB(x.to))
  const rSend = first((x) => isB(x.to) && !isA(x.from) && !isB(x.from))
  const bAck = first((x) => isB(x.from))
  // The change fast path (tabsync-change frames), when both sides speak it.
  const aFast = first((x) => isA(x.from) && !isB(x.to), 'tabsync-change')
  const rFast = first((x) => isB(x.to) && !isA(x.from) && !isB(x.from), 'tabsync-change')
  if (aFast) hops['A->relay fast']?.push(aFast - t0)
  if (rFast) hops['relay->B fast']?.push(rFast - t0)
  // Frames and bytes of this document per link and type, summed over the changes.
  for (const f of frames) {
    if (f.doc !== doc) continue
    const who = (p: string) => (isA(p) ? 'A' : isB(p) ? 'B' : 'relay')
    const key = `${who(f.from)}->${who(f.to)} ${f.type}`
    const t = (traffic[key] ??= { frames: 0, bytes: 0 })
    t.frames += 1
    t.bytes += f.bytes
  }
  hops['applied']?.push(applied - t0)
  if (aSend) hops['A->relay']?.push(aSend - t0)
  if (rSend) hops['relay->B']?.push(rSend - t0)
  hops['B change']?.push(seen - t0)
  if (bAck) hops['B ack->relay']?.push(bAck - t0)
  await sleep(30)
}
process.stdout.write(`${kind}: median ms from the command's start (${changes} changes, 8 orders)\n`)
for (const [k, v] of Object.entries(hops))
  if (v.length) process.stdout.write(`  ${k.padEnd(14)} ${median(v).toFixed(2)}  (n=${v.length})\n`)
process.stdout.write(`  frames (bytes) per change, by link and type:\n`)
for (const [k, t] of Object.entries(traffic).sort())
  process.stdout.write(
    `  ${k.padEnd(24)} ${(t.frames / changes).toFixed(2)} (${Math.round(t.bytes / changes)} B)\n`,
  )
await pair.close()
await close()
await rm(dir, { recursive: true, force: true })
process.exit(0)
