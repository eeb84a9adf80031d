import type { IncomingMessage, ServerResponse } from 'node:http'
import * as A from '@automerge/automerge'
import type { DocumentId, Repo, StorageAdapterInterface } from '@automerge/automerge-repo'
import { encodeBundle, type BundledDocument } from '@tabsync/core/internal'
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
 * content for are left out alike, so the answer reveals nothing about other stores.
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
      const principal = devicePrincipal(claims, claims.deviceId)
      const found: BundledDocument[] = []
      for (const id of new Set(parsed.data.ids)) {
        if (!(await parts.registry.mayRead(principal, id))) continue
        const bytes = await savedBytes(parts, id as DocumentId)
        if (bytes) found.push({ documentId: id, bytes })
      }
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
          asked: parsed.data.ids.length,
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

/**
 * A document's saved bytes: from memory when the repo has it loaded (it may hold changes not yet
 * written), else its stored chunks one after another (Automerge loads them as one).
 */
async function savedBytes(
  parts: DocumentsRouteParts,
  id: DocumentId,
): Promise<Uint8Array | undefined> {
  const handle = parts.repo.handles[id]
  if (handle?.isReady()) {
    const doc = handle.doc()
    return A.getHeads(doc).length > 0 ? A.save(doc) : undefined
  }
  const chunks = (await parts.storage.loadRange([id])).filter(
    (c) => (c.key[1] === 'snapshot' || c.key[1] === 'incremental') && c.data !== undefined,
  )
  if (chunks.length === 0) return undefined
  return Buffer.concat(chunks.map((c) => c.data as Uint8Array))
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
