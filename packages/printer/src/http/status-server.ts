import * as http from 'node:http'
import { z } from 'zod'
import { isPrinterError } from '../errors.js'
import type { PrintBridge } from '../bridge/print-bridge.js'
import type { ActionAuthorizer } from './store-token-auth.js'

/** Options of {@link startStatusServer}. */
export interface StatusServerOptions {
  readonly bridge: PrintBridge
  /** Default 0 (any free port). */
  readonly port?: number
  /** Default 127.0.0.1. Use 0.0.0.0 for terminals on the LAN (see README on exposure). */
  readonly host?: string
  /** `Access-Control-Allow-Origin`: the terminal's origin (e.g. `https://pos.example`), so a
   *  browser terminal can call it. Default none: browsers on other origins cannot. */
  readonly allowOrigin?: string
  /** Who may confirm and reprint (`Authorization: Bearer <token>`), e.g.
   *  `storeTokenAuthorizer({ secret, storeId })`. Without it, and without
   *  `insecureOpenActions`, both actions answer 401. */
  readonly authorize?: ActionAuthorizer
  /** Let anyone who reaches the port confirm and reprint (the loopback demo only). */
  readonly insecureOpenActions?: boolean
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
 * Both actions need `Authorization: Bearer <token>` accepted by `authorize` (401 without or with
 * a bad token, 403 for a token of another store or role).
 * - `GET /healthz`
 * Unknown tickets get 404 `{ error }`.
 */
export function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { bridge } = options
  const host = options.host ?? '127.0.0.1'
  const cors: Record<string, string> =
    options.allowOrigin === undefined
      ? {}
      : { 'access-control-allow-origin': options.allowOrigin, vary: 'origin' }
  const authorize: ActionAuthorizer = options.insecureOpenActions
    ? () => Promise.resolve('ok')
    : (options.authorize ?? (() => Promise.resolve('unauthorized')))
  const server = http.createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...cors,
      })
      res.end(JSON.stringify(body))
    }
    const url = new URL(req.url ?? '/', 'http://bridge')
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization',
      })
      res.end()
      return
    }
    if (req.method === 'GET' && url.pathname === '/status') return reply(200, bridge.status())
    if (req.method === 'GET' && url.pathname === '/healthz') return reply(200, { ok: true })
    const action = /^\/(reprint|confirm)\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'POST' && action) {
      req.resume() // no body needed
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null
      void authorize(bearer).then((auth) => {
        if (auth === 'unauthorized') return reply(401, { error: 'unauthorized' })
        if (auth === 'forbidden') return reply(403, { error: 'forbidden' })
        act(action[1] ?? '', action[2] ?? '')
      })
      return
    }
    reply(404, { error: 'not found' })

    function act(verb: string, rawTicketId: string): void {
      const ticketId = TicketId.safeParse(decodeURIComponent(rawTicketId))
      const printerId = PrinterId.safeParse(url.searchParams.get('printer') ?? undefined)
      if (!ticketId.success || !printerId.success)
        return reply(400, { error: 'bad ticket or printer id' })
      try {
        if (verb === 'reprint') {
          return reply(202, { printers: bridge.reprint(ticketId.data, printerId.data) })
        }
        return reply(200, { printers: bridge.confirm(ticketId.data, printerId.data) })
      } catch (e) {
        if (isPrinterError(e, 'not-found')) return reply(404, { error: e.message })
        return reply(500, { error: e instanceof Error ? e.message : String(e) })
      }
    }
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
