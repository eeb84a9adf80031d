import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  DOCUMENTS_PATH,
  DocumentsRefusal,
  TIME_PATH,
  type DocumentsRefusalBody,
  type TimeReply,
} from '@tabsync/protocol'
import { tokenFromRequest } from '../auth/request-token.js'
import { RELAY_FEATURES } from './features.js'

/** What the HTTP endpoints read from the running relay. */
export interface HttpState {
  readonly mode: 'relay' | 'hub'
  readonly peerId: () => string
  readonly ready: () => boolean
  readonly startedAt: number
  readonly connections: () => number
  readonly documentsLoaded: () => number
  readonly upstreamConnected: () => boolean | undefined
  readonly metrics: () => string | Promise<string>
  /** Why a token is refused (`expired`, `bad-signature`, ...), or undefined when it is valid. */
  readonly tokenProblem: (token: string | null) => Promise<string | undefined>
  /** `POST /documents`: a bundle of saved documents (see documents-route.ts). */
  readonly documents: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  /** `GET`/`POST /revocations` (see revocations-route.ts). */
  readonly revocations?: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  readonly now?: () => number
  /** Read `?token=` on `GET /sync` (old clients). Default false: `Authorization: Bearer` only. */
  readonly allowQueryToken?: boolean
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization',
  'access-control-max-age': '600',
} as const

/** A JSON answer (never cached), with the CORS headers a browser terminal needs when `cors`. */
export function json(res: ServerResponse, status: number, body: unknown, cors: boolean): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(cors ? CORS_HEADERS : {}),
  })
  res.end(JSON.stringify(body))
}

/**
 * The relay's plain HTTP endpoints: `/healthz`, `/readyz`, `/time` (all with CORS, a browser
 * terminal calls them) and `/metrics` (Prometheus text). A plain `GET /sync` (token in
 * `Authorization: Bearer`) answers 401 for a bad token and 426 for a good one: a browser cannot
 * see why a WebSocket upgrade failed, so it asks this way to tell "token rejected" from "network down". `POST /documents` hands a
 * device many saved documents at once. Anything else is 404.
 */
export function createHttpHandler(
  state: HttpState,
): (req: IncomingMessage, res: ServerResponse) => void {
  const now = state.now ?? Date.now
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://relay').pathname
    const cors =
      path === TIME_PATH ||
      path === '/healthz' ||
      path === '/readyz' ||
      path === '/sync' ||
      path === DOCUMENTS_PATH ||
      path === '/revocations'
    if (req.method === 'OPTIONS' && cors) {
      res.writeHead(204, CORS_HEADERS)
      res.end()
      return
    }
    if (path === DOCUMENTS_PATH && req.method === 'POST') {
      const notReady: DocumentsRefusalBody = { error: DocumentsRefusal.notReady }
      if (!state.ready()) json(res, 503, notReady, true)
      else void state.documents(req, res)
      return
    }
    if (
      path === '/revocations' &&
      state.revocations &&
      (req.method === 'GET' || req.method === 'POST')
    ) {
      if (!state.ready()) json(res, 503, { error: 'not-ready' }, true)
      else void state.revocations(req, res)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { error: 'method-not-allowed' }, cors)
      return
    }
    switch (path) {
      case TIME_PATH: {
        const reply: TimeReply = { now: now(), features: [...RELAY_FEATURES] }
        json(res, 200, reply, true)
        return
      }
      case '/healthz': {
        const upstream = state.upstreamConnected()
        json(
          res,
          200,
          {
            status: 'ok',
            mode: state.mode,
            ready: state.ready(),
            peerId: state.peerId(),
            uptimeSeconds: Math.round((now() - state.startedAt) / 1000),
            connections: state.connections(),
            documentsLoaded: state.documentsLoaded(),
            ...(upstream === undefined ? {} : { upstreamConnected: upstream }),
          },
          true,
        )
        return
      }
      case '/readyz':
        if (state.ready()) json(res, 200, { ready: true }, true)
        else json(res, 503, { ready: false }, true)
        return
      case '/sync':
        void state
          .tokenProblem(
            tokenFromRequest(req, { allowQueryToken: state.allowQueryToken ?? false }).token,
          )
          .then((problem) =>
            problem === undefined
              ? json(res, 426, { error: 'upgrade-required' }, true)
              : json(res, 401, { error: problem }, true),
          )
        return
      case '/metrics':
        // prom-client renders asynchronously (gauges are collected at scrape time).
        void Promise.resolve(state.metrics()).then(
          (text) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
            res.end(text)
          },
          () => json(res, 500, { error: 'metrics-failed' }, false),
        )
        return
      default:
        json(res, 404, { error: 'not-found' }, false)
    }
  }
}
