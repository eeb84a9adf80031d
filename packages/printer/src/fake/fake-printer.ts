import * as net from 'node:net'
import { decodeEscPos, tidyText } from '../escpos/decode-escpos.js'
import { STATUS_OFFLINE, STATUS_OK, STATUS_PAPER_END } from '../escpos/status-probe.js'

/** How the fake printer behaves towards new connections and data. */
export const FakePrinterMode = {
  /** Answers status requests, prints everything. */
  ok: 'ok',
  /** Stops listening: connections are refused. */
  refuse: 'refuse',
  /** Accepts connections but reads nothing until the mode changes (then reads what arrived). */
  stall: 'stall',
  /** Resets each connection after `dropAfterBytes` bytes: the ticket is cut off mid-way. */
  drop: 'drop',
  /** Answers "offline, paper end" to status requests; prints what it gets anyway. */
  paperOut: 'paper-out',
} as const
export type FakePrinterMode = (typeof FakePrinterMode)[keyof typeof FakePrinterMode]

/** One ticket as the fake printer received it. */
export interface FakeReceipt {
  /** Readable text, ESC/POS commands stripped. */
  readonly text: string
  /** Ended with a cut. False when the connection ended mid-ticket. */
  readonly complete: boolean
  readonly reprint: boolean
  readonly void: boolean
  /** The `#ref` printed at the bottom (last 8 characters of the ticket id), if it arrived. */
  readonly ref: string | undefined
  /** Which connection it came on (1, 2, ...). */
  readonly connection: number
}

/** Options of {@link startFakePrinter}. */
export interface FakePrinterOptions {
  /** Default 0 (any free port). */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Called with every receipt (the CLI prints them). */
  readonly onReceipt?: (receipt: FakeReceipt) => void
  /**
   * Whose code-page numbering the fake printer reads `ESC t n` with (default 'epson'): set it
   * to the store's `printers[id].charset.mapping` so text reads back as the printer prints it.
   */
  readonly codePageMapping?: string
}

/** A running fake printer. */
export interface FakePrinter {
  readonly host: string
  readonly port: number
  /** `tcp://host:port`, to give to a bridge. */
  readonly url: string
  /** Every receipt so far, complete or cut off, in arrival order. */
  readonly receipts: readonly FakeReceipt[]
  /** Total bytes read, status requests included. */
  readonly bytesReceived: number
  readonly connections: number
  mode(): FakePrinterMode
  /** Changes behaviour from now on. `dropAfterBytes` (default 80) applies to `drop`. */
  setMode(mode: FakePrinterMode, options?: { dropAfterBytes?: number }): Promise<void>
  /** Resolves once at least `count` receipts arrived (rejects after `timeoutMs`, default 10 s). */
  waitForReceipts(count: number, timeoutMs?: number): Promise<readonly FakeReceipt[]>
  close(): Promise<void>
}

/**
 * Starts a fake ESC/POS network printer: a TCP server that decodes what it receives into text,
 * answers DLE EOT status requests like a real printer, and can refuse, stall or drop on command.
 *
 * @example
 * const printer = await startFakePrinter({ onReceipt: (r) => console.log(r.text) })
 * // run a bridge with --printer kitchen-printer=${printer.url}
 * await printer.setMode('drop', { dropAfterBytes: 50 })
 */
export async function startFakePrinter(options: FakePrinterOptions = {}): Promise<FakePrinter> {
  const host = options.host ?? '127.0.0.1'
  const decodeOptions = options.codePageMapping ? { mapping: options.codePageMapping } : {}
  let mode: FakePrinterMode = FakePrinterMode.ok
  let dropAfterBytes = 80
  const receipts: FakeReceipt[] = []
  const sockets = new Set<net.Socket>()
  const stalled = new Set<net.Socket>()
  const listeners = new Set<() => void>()
  let bytesReceived = 0
  let connections = 0
  let server: net.Server | undefined
  let port = options.port ?? 0

  const emit = (r: FakeReceipt) => {
    receipts.push(r)
    options.onReceipt?.(r)
    for (const l of [...listeners]) l()
  }

  const onConnection = (socket: net.Socket) => {
    const id = ++connections
    sockets.add(socket)
    let buffer = Buffer.alloc(0)
    let answered = 0
    let emitted = 0
    let done = false
    const dropLimit = mode === FakePrinterMode.drop ? dropAfterBytes : Infinity
    socket.on('error', () => undefined)
    const finish = () => {
      if (done) return
      done = true
      sockets.delete(socket)
      stalled.delete(socket)
      const rest = tidyText(decodeEscPos(buffer, decodeOptions).rest)
      if (rest !== '') emit(receipt(rest, false, id))
    }
    socket.on('close', finish)
    socket.on('data', (chunk: Buffer) => {
      if (done) return
      const room = dropLimit - buffer.length
      const take = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk
      buffer = Buffer.concat([buffer, take])
      bytesReceived += take.length
      const decoded = decodeEscPos(buffer, decodeOptions)
      for (const req of decoded.statusRequests.slice(answered)) {
        answered++
        if (!socket.writable) continue
        const paperOut = mode === FakePrinterMode.paperOut
        if (req.n === 4) socket.write(Uint8Array.of(paperOut ? STATUS_PAPER_END : STATUS_OK))
        else socket.write(Uint8Array.of(paperOut ? STATUS_OFFLINE : STATUS_OK))
      }
      for (const text of decoded.receipts.slice(emitted)) {
        emitted++
        emit(receipt(tidyText(text), true, id))
      }
      if (take.length < chunk.length) {
        // Cut the connection off mid-ticket, as a printer losing power or network would.
        finish()
        socket.resetAndDestroy()
      }
    })
    if (mode === FakePrinterMode.stall) {
      socket.pause()
      stalled.add(socket)
    }
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection)
      s.once('error', reject)
      s.listen(port, host, () => {
        s.off('error', reject)
        const address = s.address()
        if (address && typeof address === 'object') port = address.port
        server = s
        resolve()
      })
    })
  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server
      server = undefined
      if (!s) return resolve()
      // Stop accepting at once; established connections carry on.
      s.close(() => resolve())
      resolve()
    })

  await listen()

  return {
    host,
    get port() {
      return port
    },
    get url() {
      return `tcp://${host}:${port}`
    },
    receipts,
    get bytesReceived() {
      return bytesReceived
    },
    get connections() {
      return connections
    },
    mode: () => mode,
    async setMode(next, opts = {}) {
      if (opts.dropAfterBytes !== undefined) dropAfterBytes = opts.dropAfterBytes
      const previous = mode
      mode = next
      if (next === FakePrinterMode.refuse && previous !== FakePrinterMode.refuse) await unlisten()
      if (next !== FakePrinterMode.refuse && previous === FakePrinterMode.refuse) await listen()
      if (next !== FakePrinterMode.stall) {
        for (const s of stalled) s.resume()
        stalled.clear()
      }
    },
    waitForReceipts(count, timeoutMs = 10_000) {
      if (receipts.length >= count) return Promise.resolve(receipts)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(
            new Error(
              `fake printer: ${receipts.length} of ${count} receipts after ${timeoutMs} ms`,
            ),
          )
        }, timeoutMs)
        const check = () => {
          if (receipts.length < count) return
          clearTimeout(timer)
          listeners.delete(check)
          resolve(receipts)
        }
        listeners.add(check)
      })
    },
    async close() {
      for (const s of sockets) s.destroy()
      await unlisten()
    },
  }
}

function receipt(text: string, complete: boolean, connection: number): FakeReceipt {
  return {
    text,
    complete,
    reprint: text.includes('REPRINT'),
    void: text.includes('*** VOID ***'),
    ref: /#([A-Za-z0-9_-]{8})(?![A-Za-z0-9_-])/.exec(text)?.[1],
    connection,
  }
}
