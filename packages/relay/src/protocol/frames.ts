import * as A from '@automerge/automerge'
import { cbor, isValidDocumentId } from '@automerge/automerge-repo'
import { z } from 'zod'

// Inbound frames are validated here, at the edge, before anything in automerge-repo sees them:
// the stock server adapter trusts whatever CBOR arrives.

const peerId = z.string().min(1).max(256)
const documentId = z.string().refine((s) => isValidDocumentId(s), 'not a document id')
const bytes = z.instanceof(Uint8Array)

const joinFrame = z.object({
  type: z.literal('join'),
  senderId: peerId,
  peerMetadata: z
    .object({ storageId: z.string().max(256).optional(), isEphemeral: z.boolean().optional() })
    .optional(),
  supportedProtocolVersions: z.array(z.string().max(16)).max(16).optional(),
})

const syncFrame = z.object({
  type: z.enum(['sync', 'request']),
  senderId: peerId,
  targetId: peerId,
  documentId,
  data: bytes,
})

const ephemeralFrame = z.object({
  type: z.literal('ephemeral'),
  senderId: peerId,
  targetId: peerId,
  documentId,
  data: bytes,
  count: z.number().int().nonnegative(),
  sessionId: z.string().min(1).max(128),
})

const unavailableFrame = z.object({
  type: z.literal('doc-unavailable'),
  senderId: peerId,
  targetId: peerId,
  documentId,
})

const remoteSubscriptionFrame = z.object({
  type: z.literal('remote-subscription-change'),
  senderId: peerId,
  targetId: peerId,
  add: z.array(z.string()).optional(),
  remove: z.array(z.string()).optional(),
})

const remoteHeadsFrame = z.object({
  type: z.literal('remote-heads-changed'),
  senderId: peerId,
  targetId: peerId,
  documentId,
  newHeads: z.record(z.string(), z.unknown()),
})

/** Everything a device may send to the relay. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  joinFrame,
  syncFrame,
  ephemeralFrame,
  unavailableFrame,
  remoteSubscriptionFrame,
  remoteHeadsFrame,
])
export type ClientFrame = z.infer<typeof clientFrameSchema>
export type JoinFrame = z.infer<typeof joinFrame>
export type DocFrame =
  z.infer<typeof syncFrame> | z.infer<typeof ephemeralFrame> | z.infer<typeof unavailableFrame>

/** Tabsync control frame: the upstream relay tells a hub which devices and tokens are revoked. */
export const REVOCATIONS_FRAME = 'tabsync-revocations'

const revocationsFrame = z.object({
  type: z.literal(REVOCATIONS_FRAME),
  senderId: peerId,
  targetId: peerId,
  // Checked entry by entry by the hub (revocationSchema); bounded here.
  revocations: z.array(z.unknown()).max(100_000),
})

/** What an upstream relay may send to a hub: the client frames minus join, plus peer/error and
 *  the revocation list. */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('peer'),
    senderId: peerId,
    targetId: peerId,
    peerMetadata: z
      .object({ storageId: z.string().max(256).optional(), isEphemeral: z.boolean().optional() })
      .optional(),
    selectedProtocolVersion: z.string().max(16),
  }),
  z.object({ type: z.literal('error'), senderId: peerId, targetId: peerId, message: z.string() }),
  // The relay's liveness beat to `tabsync.v1` clients (network/heartbeat.ts); carries nothing.
  z.object({ type: z.literal('tabsync-heartbeat'), senderId: peerId, targetId: peerId }),
  revocationsFrame,
  syncFrame,
  ephemeralFrame,
  unavailableFrame,
  remoteSubscriptionFrame,
  remoteHeadsFrame,
])
export type ServerFrame = z.infer<typeof serverFrameSchema>

/** Result of {@link parseFrame}: the message, or why it was refused. */
export type ParsedFrame<T> =
  | { readonly ok: true; readonly message: T; readonly carriesChanges: boolean }
  | { readonly ok: false; readonly reason: 'not-cbor' | 'bad-shape' | 'bad-sync-data' }

/**
 * Decodes and validates one frame. For `sync`/`request` the Automerge sync message itself is
 * decoded too (garbage inside valid CBOR is refused here, not deep inside the repo), which also
 * says whether it brings content (a `sync` from a non-empty document with changes; never a
 * `request`): the ownership check needs to know.
 */
export function parseFrame<T extends ClientFrame | ServerFrame>(
  bytesIn: Uint8Array,
  schema: z.ZodType<T>,
): ParsedFrame<T> {
  let decoded: unknown
  try {
    decoded = cbor.decode(bytesIn)
  } catch {
    return { ok: false, reason: 'not-cbor' }
  }
  const parsed = schema.safeParse(decoded)
  if (!parsed.success) return { ok: false, reason: 'bad-shape' }
  const message = parsed.data
  let carriesChanges = false
  if (message.type === 'sync' || message.type === 'request') {
    if (message.data.byteLength === 0) return { ok: false, reason: 'bad-sync-data' }
    try {
      carriesChanges = message.type === 'sync' && hasContent(A.decodeSyncMessage(message.data))
    } catch {
      return { ok: false, reason: 'bad-sync-data' }
    }
  } else if (message.type === 'ephemeral') {
    carriesChanges = true // opaque payload: treat as content
  }
  return { ok: true, message, carriesChanges }
}

/** True when an outbound repo message carries document content (changes or ephemeral data). */
export function outboundCarriesContent(message: { type: string; data?: Uint8Array }): boolean {
  if (message.type === 'ephemeral') return true
  if ((message.type === 'sync' || message.type === 'request') && message.data) {
    try {
      return hasContent(A.decodeSyncMessage(message.data))
    } catch {
      return true
    }
  }
  return false
}

/**
 * True when a decoded sync message brings document content. Not just `changes.length > 0`:
 * Automerge 3 sends a peer that has nothing one entry even from an *empty* document, so a
 * sender with no heads (an empty document: a device asking for something it does not have)
 * brings nothing, whatever its `changes` hold.
 */
function hasContent(message: A.DecodedSyncMessage): boolean {
  return message.heads.length > 0 && message.changes.length > 0
}
