import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Repo, StorageAdapterInterface } from '@automerge/automerge-repo'
import { encodeBundle } from '@tabsync/core/internal'
import type { Logger } from 'pino'
import {
  DocumentsRefusal,
  documentsRequestSchema,
  type DocumentsRefusalBody,
} from '@tabsync/protocol'
import type { OwnershipRegistry } from '../access/ownership.js'
import { devicePrincipal } from '../access/principal.js'
import type { TokenClaims } from '../auth/claims.js'
import { tokenFromRequest } from '../auth/request-token.js'
import { BundleReader } from './bundle-reader.js'
import { floorDocuments } from './documents-floor.js'
import { json } from './routes.js'

const MAX_BODY_BYTES = 64 * 1024

export interface DocumentsRouteParts {
  readonly repo: Repo
  readonly storage: StorageAdapterInterface
  readonly registry: OwnershipRegistry
  readonly log: Logger
  /** Verifies a token; rejects with the reason it is refused. */
  readonly verify: (token: string | null) => Promise<TokenClaims>
  /** Read `?token=` too (old clients). Default false: `Authorization: Bearer` only. */
  readonly allowQueryToken?: boolean
  /** Takes one request from the device's budget; false: answer 429 `rate-limited`. */
  readonly admit?: (deviceId: string) => boolean
  /** Counts a refusal (metrics), by reason. */
  readonly onRefused?: (reason: string) => void
}

/** Why a request is answered with something else than a bundle (the protocol's refusals). */
class Refusal extends Error {
  readonly status: number
  readonly reason: DocumentsRefusal
  constructor(status: number, reason: DocumentsRefusal) {
    super(reason)
    this.status = status
    this.reason = reason
  }
}

/**
 * `POST /documents` (`Authorization: Bearer <jwt>`) with `{"ids": [...]}`: the saved bytes of every listed document the
 * token's stores own, as one bundle (core's `encodeBundle`). A cold device gets its business
 * day in a few requests instead of one sync exchange per document; it syncs each document the
 * usual way once it opens it. Documents of other stores, unknown ones and ones the relay has no
 * content for are left out alike, so the answer reveals nothing about other stores. With
 * `floor`, the answer also holds the floor of the store's day (documents-floor.ts), read under
 * the same rule.
 */
export function createDocumentsRoute(
  parts: DocumentsRouteParts,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const started = performance.now()
    try {
      const { token } = tokenFromRequest(req, {
        allowQueryToken: parts.allowQueryToken ?? false,
      })
      let claims: TokenClaims
      try {
        claims = await parts.verify(token)
      } catch {
        throw new Refusal(401, DocumentsRefusal.badToken)
      }
      // Per device, after the token: a flood of bundle requests reads storage for every id.
      if (parts.admit && !parts.admit(claims.deviceId))
        throw new Refusal(429, DocumentsRefusal.rateLimited)
      const parsed = documentsRequestSchema.safeParse(await readJson(req))
      if (!parsed.success) throw new Refusal(400, DocumentsRefusal.badRequest)
      // No socket, so no peer id: the device itself.
      const reader = new BundleReader(parts, devicePrincipal(claims, claims.deviceId))
      const { ids, floor } = parsed.data
      const [asked, floorDocs] = await Promise.all([
        reader.readAll(ids),
        floor ? floorDocuments(reader, floor, parts.log) : [],
      ])
      // The store of a floor is usually among the ids too: each document once.
      const askedIds = new Set(asked.map((d) => d.documentId))
      const found = [...asked, ...floorDocs.filter((d) => !askedIds.has(d.documentId))]
      const body = encodeBundle(found)
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
        'access-control-allow-origin': '*',
      })
      res.end(body)
      parts.log.debug(
        {
          deviceId: claims.deviceId,
          asked: ids.length,
          floor: floorDocs.length,
          sent: found.length,
          bytes: body.length,
          ms: Math.round(performance.now() - started),
        },
        'documents bundle sent',
      )
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal(500, DocumentsRefusal.internal)
      if (refusal.status === 500) parts.log.error({ err }, 'documents bundle failed')
      else parts.log.warn({ reason: refusal.reason }, 'documents request refused')
      if (refusal.status === 429 || refusal.status === 401) {
        parts.onRefused?.(`documents-${refusal.reason}`)
      }
      if (refusal.status === 429) res.setHeader('retry-after', '1')
      const body: DocumentsRefusalBody = { error: refusal.reason }
      json(res, refusal.status, body, true)
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Refusal(413, DocumentsRefusal.tooLarge)
    parts.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'))
  } catch {
    throw new Refusal(400, DocumentsRefusal.badRequest)
  }
}
