import { z } from 'zod'

/**
 * `POST /documents` (token in `Authorization: Bearer`): a device asks for the saved bytes of many
 * documents at once; the answer is a binary bundle (core's `encodeBundle`), or JSON
 * `{ error }` with one of {@link DocumentsRefusal} and a 4xx/5xx status.
 */
export const DOCUMENTS_PATH = '/documents'

/** At most this many documents per request (a day of 2,000 orders is a few requests). */
export const MAX_DOCUMENTS_PER_REQUEST = 500

/** At most this many orders a `floor` adds to an answer (the open checks of one day). */
export const MAX_FLOOR_ORDERS = 250

/** An automerge-repo document id (base58check, without `automerge:`). */
const documentIdSchema = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{1,64}$/)

/**
 * `floor` of a request: also send the floor of the store's business day at `at` (epoch ms; the
 * day by the store's own rule): the store document `store`, its table-days of that day, and the
 * orders they do not hint closed (of the table-days the relay holds in memory: it loads none to
 * read hints), newest first, at most {@link MAX_FLOOR_ORDERS}. A new device gets in its first
 * request what it would otherwise ask for in three. Relays before it ignore the field (and
 * answer the ids).
 */
export const documentsFloorSchema = z.object({
  store: documentIdSchema,
  at: z.number().int().min(0).max(8.64e15),
})
export type DocumentsFloor = z.infer<typeof documentsFloorSchema>

/** The request body: automerge-repo document ids, and optionally a store's floor. */
export const documentsRequestSchema = z.object({
  ids: z.array(documentIdSchema).min(1).max(MAX_DOCUMENTS_PER_REQUEST),
  floor: documentsFloorSchema.optional(),
})
export type DocumentsRequest = z.infer<typeof documentsRequestSchema>

/** Why the relay answered `POST /documents` with something else than a bundle. */
export const DocumentsRefusal = {
  /** 401: the token is missing, bad, expired or revoked. */
  badToken: 'bad-token',
  /** 429: the device asked too often (retry after the `retry-after` header). */
  rateLimited: 'rate-limited',
  /** 400: the body is not JSON of {@link documentsRequestSchema}. */
  badRequest: 'bad-request',
  /** 413: the body is larger than the relay reads. */
  tooLarge: 'too-large',
  /** 503: the relay has not loaded its storage yet. */
  notReady: 'not-ready',
  /** 500: the relay failed; the device falls back to syncing each document. */
  internal: 'internal',
} as const
export type DocumentsRefusal = (typeof DocumentsRefusal)[keyof typeof DocumentsRefusal]

/** The JSON body of a refused `POST /documents`. */
export const documentsRefusalSchema = z.object({
  error: z.enum(Object.values(DocumentsRefusal) as [DocumentsRefusal, ...DocumentsRefusal[]]),
})
export type DocumentsRefusalBody = z.infer<typeof documentsRefusalSchema>
