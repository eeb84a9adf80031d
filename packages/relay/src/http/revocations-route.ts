import type { IncomingMessage, ServerResponse } from 'node:http'
import { DeviceRole } from '@tabsync/core'
import { z } from 'zod'
import { ID_PATTERN } from '@tabsync/protocol'
import type { TokenClaims } from '../auth/claims.js'
import type { Revocation, RevocationList } from '../auth/revocations.js'
import type { Logger } from '../log.js'
import { json } from './routes.js'

/** Dependencies of {@link createRevocationsRoute}. */
export interface RevocationsRouteParts {
  readonly revocations: RevocationList
  readonly log: Logger
  /** Verifies a token (signature, expiry, shape, not revoked). */
  readonly verify: (token: string | null) => Promise<TokenClaims>
  readonly now?: () => number
}

const MAX_BODY_BYTES = 4 * 1024

const requestSchema = z
  .object({
    device: z.string().regex(ID_PATTERN).optional(),
    tokenId: z.string().regex(ID_PATTERN).optional(),
  })
  .strict()
  .refine((r) => (r.device === undefined) !== (r.tokenId === undefined), 'device or tokenId')

/** The token of a request: `Authorization: Bearer <jwt>` (never in the URL: URLs land in logs). */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header)
  return match?.[1] ?? null
}

/**
 * `/revocations`, with a token in `Authorization: Bearer`:
 * - `POST {"device": id}` or `{"tokenId": jti}` with a back-office token revokes that device (or
 *   token) within the back office's stores: stored, then every socket it concerns is closed with
 *   4007, here and (pushed over their upstream link) on the hubs of those stores. 200
 *   `{"revoked": {...}}`.
 * - `GET` with a back-office or hub token: 200 `{"revocations": [...]}` of its stores.
 * 401 bad or revoked token, 403 another role, 400 bad body, 413 body over 4 kB.
 */
export function createRevocationsRoute(
  parts: RevocationsRouteParts,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = parts.now ?? Date.now
  return async (req, res) => {
    let claims: TokenClaims
    try {
      claims = await parts.verify(bearerToken(req))
    } catch {
      return json(res, 401, { error: 'bad-token' }, true)
    }
    if (req.method === 'GET') {
      if (claims.role !== DeviceRole.backoffice && claims.role !== DeviceRole.hub)
        return json(res, 403, { error: 'forbidden-role' }, true)
      return json(res, 200, { revocations: parts.revocations.forStores(claims.storeIds) }, true)
    }
    if (claims.role !== DeviceRole.backoffice) {
      parts.log.warn({ deviceId: claims.deviceId, role: claims.role }, 'revocation refused: role')
      return json(res, 403, { error: 'forbidden-role' }, true)
    }
    let body: unknown
    try {
      body = await readJson(req)
    } catch (e) {
      return json(
        res,
        e === TOO_LARGE ? 413 : 400,
        { error: e === TOO_LARGE ? 'too-large' : 'bad-request' },
        true,
      )
    }
    const parsed = requestSchema.safeParse(body)
    if (!parsed.success) return json(res, 400, { error: 'bad-request' }, true)
    const revocation: Revocation = {
      kind: parsed.data.device === undefined ? 'token' : 'device',
      id: (parsed.data.device ?? parsed.data.tokenId)!,
      stores: [...claims.storeIds],
      at: now(),
      by: claims.deviceId,
    }
    await parts.revocations.add([revocation])
    json(res, 200, { revoked: revocation }, true)
  }
}

const TOO_LARGE = Symbol('too-large')

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw TOO_LARGE
    chunks.push(chunk)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}
