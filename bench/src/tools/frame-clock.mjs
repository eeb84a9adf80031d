// Preload (`NODE_OPTIONS=--import <this file>`) for latency-trace.ts: records when this process
// reads and sends `tabsync-change` frames, on the machine's clock (timeOrigin + now, comparable
// across processes), and writes them to TABSYNC_FRAME_CLOCK as JSON lines at exit.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import process from 'node:process'
import { decode } from 'cbor-x'
import WebSocket from 'ws'

const file = process.env['TABSYNC_FRAME_CLOCK']
const rows = []
const clock = () => performance.timeOrigin + performance.now()
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const typeOf = (data) => {
  try {
    const m = decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data)
    return m?.type === 'tabsync-change' ? m : undefined
  } catch {
    return undefined
  }
}
if (file) {
  const send = WebSocket.prototype.send
  WebSocket.prototype.send = function (data, ...rest) {
    const m = typeOf(data)
    if (m) rows.push({ t: clock(), cpu: cpu(), dir: 'out', doc: m.documentId, to: m.targetId })
    return send.call(this, data, ...rest)
  }
  const emit = WebSocket.prototype.emit
  WebSocket.prototype.emit = function (event, ...args) {
    if (event === 'message') {
      const m = typeOf(args[0])
      if (m) rows.push({ t: clock(), cpu: cpu(), dir: 'in', doc: m.documentId, from: m.senderId })
    }
    return emit.call(this, event, ...args)
  }
  process.on('exit', () => writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n')))
}
