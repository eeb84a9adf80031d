import * as net from 'node:net'
import { PrinterError, PrinterErrorKind } from '../errors.js'
import { DLE_EOT_PAPER, DLE_EOT_PRINTER, readiness } from '../escpos/status-probe.js'
import type { PrinterEndpoint } from './printer-url.js'

/** Timeouts and the exactly-once hooks of one send. */
export interface SendOptions {
  /** Connecting, in ms. Default 3000. */
  readonly connectTimeoutMs?: number
  /**
   * The printer's answer to the status request before the ticket, in ms. Default 3000. Timing
   * out here is harmless (no ticket byte left yet): it is how a stalled printer is detected.
   */
  readonly statusTimeoutMs?: number
  /**
   * Each write and the final acknowledgement, in ms. Default 10000. Timing out here leaves the
   * ticket "may not have printed", so keep it generous: a slow printer is not a dead one.
   */
  readonly writeTimeoutMs?: number
  /**
   * Runs after the printer is connected and ready, before the first ticket byte: the bridge
   * commits SENDING to its ledger here. Whatever it throws is rethrown unchanged.
   */
  readonly beforeBytes: () => void | Promise<void>
  /** Runs half-way through the ticket bytes (tests inject crashes there). */
  readonly midSend?: () => void
}

/**
 * Sends one ticket to a raw TCP (port 9100) printer. Resolves when the printer took every byte.
 * Fails with a {@link PrinterError}: `unreachable`, `no-response` or `not-ready` mean no ticket
 * byte left (safe to retry); `uncertain` means bytes may have left (never resend automatically).
 */
export async function sendToPrinter(
  endpoint: PrinterEndpoint,
  bytes: Uint8Array,
  options: SendOptions,
): Promise<void> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 3000
  const statusTimeoutMs = options.statusTimeoutMs ?? 3000
  const writeTimeoutMs = options.writeTimeoutMs ?? 10_000
  const conn = await Connection.open(endpoint, connectTimeoutMs)
  let bytesLeft = false
  try {
    if (endpoint.probe) {
      await conn.write(concat(DLE_EOT_PRINTER, DLE_EOT_PAPER), statusTimeoutMs)
      const printer = await conn.readByte(statusTimeoutMs)
      const paper = await conn.readByte(statusTimeoutMs)
      const state = readiness(printer, paper)
      if (state !== 'ready') {
        throw new PrinterError(PrinterErrorKind.notReady, `printer is ${state}`, { state })
      }
    }
    await options.beforeBytes()
    bytesLeft = true
    const half = Math.floor(bytes.length / 2)
    await conn.write(bytes.subarray(0, half), writeTimeoutMs)
    options.midSend?.()
    await conn.write(bytes.subarray(half), writeTimeoutMs)
    if (endpoint.probe) {
      // Answered in stream order: the printer has read every ticket byte before this request.
      await conn.write(DLE_EOT_PRINTER, writeTimeoutMs)
      await conn.readByte(writeTimeoutMs)
    }
    conn.end()
  } catch (e) {
    conn.destroy()
    if (!(e instanceof SocketFailure)) throw e
    if (bytesLeft) {
      throw new PrinterError(PrinterErrorKind.uncertain, `send failed mid-ticket: ${e.message}`)
    }
    throw new PrinterError(
      e.timedOut ? PrinterErrorKind.noResponse : PrinterErrorKind.unreachable,
      `printer did not answer: ${e.message}`,
    )
  }
}

/** A failure of the socket itself (as opposed to one thrown by a hook). */
class SocketFailure extends Error {
  readonly timedOut: boolean
  constructor(message: string, timedOut: boolean) {
    super(message)
    this.timedOut = timedOut
  }
}

/** A connected socket with byte-level reads and timed writes. */
class Connection {
  readonly #socket: net.Socket
  readonly #received: number[] = []
  #waiter: (() => void) | undefined
  #failure: SocketFailure | undefined

  private constructor(socket: net.Socket) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      for (const b of chunk) this.#received.push(b)
      this.#wake()
    })
    socket.on('error', (err) => this.#fail(new SocketFailure(err.message, false)))
    socket.on('close', () =>
      this.#fail(new SocketFailure('connection closed by the printer', false)),
    )
  }

  static open(endpoint: PrinterEndpoint, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: endpoint.host, port: endpoint.port })
      socket.setNoDelay(true)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(
          new PrinterError(PrinterErrorKind.unreachable, `connect timed out after ${timeoutMs} ms`),
        )
      }, timeoutMs)
      socket.once('error', (err) => {
        clearTimeout(timer)
        socket.destroy()
        reject(new PrinterError(PrinterErrorKind.unreachable, `cannot connect: ${err.message}`))
      })
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve(new Connection(socket))
      })
    })
  }

  #fail(f: SocketFailure): void {
    this.#failure ??= f
    this.#wake()
  }

  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }

  async readByte(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const b = this.#received.shift()
      if (b !== undefined) return b
      if (this.#failure) throw this.#failure
      const left = deadline - Date.now()
      if (left <= 0) throw new SocketFailure(`no answer within ${timeoutMs} ms`, true)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  write(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SocketFailure(`write timed out after ${timeoutMs} ms`, true)),
        timeoutMs,
      )
      this.#socket.write(bytes, (err) => {
        clearTimeout(timer)
        if (err) reject(new SocketFailure(err.message, false))
        else if (this.#failure) reject(this.#failure)
        else resolve()
      })
    })
  }

  /** Half-closes; a printer that never closes its side is let go after `lingerMs`. */
  end(lingerMs = 10_000): void {
    this.#socket.end()
    setTimeout(() => this.#socket.destroy(), lingerMs).unref()
  }

  destroy(): void {
    this.#socket.destroy()
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
