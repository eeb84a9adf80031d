// Floors over real loopback sockets: the same bytes A -> bare relay -> B, and an echo round trip.
import WebSocket from 'ws'
import { paced, until } from '../fixtures/schedule.js'
import { now } from '../workload.js'

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.binaryType = 'nodebuffer'
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** Frame: 4-byte sequence number, then the payload bytes. */
function frame(seq: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + payload.byteLength)
  b.writeUInt32BE(seq, 0)
  b.set(payload, 4)
  return b
}

/**
 * One-way latency A -> relay -> B of `count` frames of `payload`, one every `intervalMs`
 * (both ends in this process, so one clock).
 */
export async function bareForward(
  relayUrl: string,
  opts: { count: number; intervalMs: number; payload: Uint8Array },
): Promise<number[]> {
  const room = `${relayUrl}/room-${Math.random().toString(36).slice(2)}`
  const [a, b] = await Promise.all([open(room), open(room)])
  const sent: number[] = []
  const samples: number[] = []
  b.on('message', (data: Buffer) => {
    const seq = data.readUInt32BE(0)
    const t0 = sent[seq]
    if (t0 !== undefined) samples.push(now() - t0)
  })
  await paced(opts.count, opts.intervalMs, (i) => {
    sent[i] = now()
    a.send(frame(i, opts.payload))
  })
  await until(() => samples.length === opts.count, 5000)
  a.terminate()
  b.terminate()
  return samples
}

/** Round trip A -> echo -> A of `count` frames, one every `intervalMs`. */
export async function echoRoundTrip(
  relayUrl: string,
  opts: { count: number; intervalMs: number; payload: Uint8Array },
): Promise<number[]> {
  const a = await open(`${relayUrl}/echo`)
  const sent: number[] = []
  const samples: number[] = []
  a.on('message', (data: Buffer) => {
    const t0 = sent[data.readUInt32BE(0)]
    if (t0 !== undefined) samples.push(now() - t0)
  })
  await paced(opts.count, opts.intervalMs, (i) => {
    sent[i] = now()
    a.send(frame(i, opts.payload))
  })
  await until(() => samples.length === opts.count, 5000)
  a.terminate()
  return samples
}
