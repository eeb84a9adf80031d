import type { IncomingMessage } from 'node:http'
import { SYNC_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '@tabsync/protocol'

/**
 * Where a request's token comes from. Devices never put their token in a URL (URLs land in
 * browser consoles, proxy access logs and error messages):
 * - a WebSocket upgrade offers the subprotocols `tabsync.v1` and `tabsync.token.<jwt>` (a browser
 *   WebSocket can set no header, but it can offer subprotocols); the relay selects `tabsync.v1`
 *   only, so the token is never echoed back;
 * - a plain HTTP request (`POST /documents`, `GET /sync` token probe) sends
 *   `Authorization: Bearer <jwt>`; Node clients may use that header on the upgrade too;
 * - `?token=` in the query string only when the relay opted in (`allowQueryToken`) for old
 *   clients such as automerge-repo's stock WebSocket client.
 *
 * The subprotocol names are @tabsync/protocol's, which devices import too.
 */

/** How the token of a request was transported (a log and metrics field, never the token). */
export type TokenTransport = 'subprotocol' | 'authorization' | 'query' | 'none'

/** A request's token and how it came. */
export interface RequestToken {
  readonly token: string | null
  readonly via: TokenTransport
}

/** Options of {@link tokenFromRequest}. */
export interface TokenFromRequestOptions {
  /** Accept `?token=` (old clients). */
  readonly allowQueryToken: boolean
}

/**
 * The token a request carries: subprotocol first, then `Authorization: Bearer`, then (opt-in)
 * the query string. A query token offered to a relay that did not opt in counts as no token.
 */
export function tokenFromRequest(
  req: Pick<IncomingMessage, 'headers' | 'url'>,
  options: TokenFromRequestOptions,
): RequestToken {
  const offered = req.headers['sec-websocket-protocol']
  if (typeof offered === 'string') {
    for (const p of offered.split(',')) {
      const name = p.trim()
      if (
        name.startsWith(TOKEN_SUBPROTOCOL_PREFIX) &&
        name.length > TOKEN_SUBPROTOCOL_PREFIX.length
      )
        return { token: name.slice(TOKEN_SUBPROTOCOL_PREFIX.length), via: 'subprotocol' }
    }
  }
  const authorization = req.headers.authorization
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match?.[1]) return { token: match[1], via: 'authorization' }
  }
  if (options.allowQueryToken) {
    const token = new URL(req.url ?? '/', 'http://relay').searchParams.get('token')
    if (token) return { token, via: 'query' }
  }
  return { token: null, via: 'none' }
}

/**
 * The subprotocol the relay answers an upgrade with: `tabsync.v1` when offered, else none (a
 * stock client that offered nothing). Never the token's subprotocol.
 */
export function selectSubprotocol(offered: ReadonlySet<string>): string | false {
  return offered.has(SYNC_SUBPROTOCOL) ? SYNC_SUBPROTOCOL : false
}
