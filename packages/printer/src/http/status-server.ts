import * as http from 'node:http'
import { z } from 'zod'
import { isPrinterError } from '../errors.js'
import type { PrintBridge } from '../bridge/print-bridge.js'

/** Options of {@link startStatusServer}. */
export interface StatusServerOptions {
  readonly bridge: PrintBridge
  /** Default 0 (any free port). */
  readonly port?: number
  /** Default 127.0.0.1. Use 0.0.0.0 for terminals on the LAN (see README on exposure). */
  readonly host?: string
  /** `Access-Control-Allow-Origin`, so a browser terminal can call it. Default '*'. */
  readonly allowOrigin?: string
}

/** A running status server. */
export interface StatusServer {
  readonly port: number
  /** `http://host:port` */
  readonly url: string
  close(): Promise<void>
}

const TicketId = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/)
const PrinterId = z.string().min(1).max(100).optional()

/**
 * Serves the bridge's state and the two staff actions over HTTP:
 * - `GET /status`: {@link BridgeStatus} as JSON (queues, printer states, needs confirmation)
 * - `POST /reprint/:ticketId[?printer=id]`: print again with a REPRINT banner (202)
 * - `POST /confirm/:ticketId[?printer=id]`: staff say an uncertain ticket did print (200)
 * - `GET /healthz`
 * Unknown tickets get 404 `{ error }`.
 */
export function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { bridge } = options
  const host = options.host ?? '127.0.0.1'
  const allowOrigin = options.allowOrigin ?? '*'
  const server = http.createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'access-control-allow-origin': allowOrigin,
      })
      res.end(JSON.stringify(body))
    }
    const url = new URL(req.url ?? '/', 'http://bridge')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': allowOrigin,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type',
      })
      res.end()
      return
    }
    if (req.method === 'GET' && url.pathname === '/status') return reply(200, bridge.status())
    if (req.method === 'GET' && url.pathname === '/healthz') return reply(200, { ok: true })
    const action = /^\/(reprint|confirm)\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'POST' && action) {
      req.resume() // no body needed
      const ticketId = TicketId.safeParse(decodeURIComponent(action[2] ?? ''))
      const printerId = PrinterId.safeParse(url.searchParams.get('printer') ?? undefined)
      if (!ticketId.success || !printerId.success)
        return reply(400, { error: 'bad ticket or printer id' })
      try {
        if (action[1] === 'reprint') {
          return reply(202, { printers: bridge.reprint(ticketId.data, printerId.data) })
        }
        return reply(200, { printers: bridge.confirm(ticketId.data, printerId.data) })
      } catch (e) {
        if (isPrinterError(e, 'not-found')) return reply(404, { error: e.message })
        return reply(500, { error: e instanceof Error ? e.message : String(e) })
      }
    }
    reply(404, { error: 'not found' })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      const address = server.address()
      const port = address && typeof address === 'object' ? address.port : 0
      resolve({
        port,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}
