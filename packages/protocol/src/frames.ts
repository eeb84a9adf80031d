import { z } from 'zod'
import { HEARTBEAT_FRAME_TYPE } from './subprotocol.js'

// The frames of automerge-repo's WebSocket protocol (CBOR maps) plus Tabsync's control frames.
// Each side validates what it receives against these schemas at its edge: the stock adapters
// trust whatever CBOR arrives. Content checks that need Automerge (document-id checksums, sync
// message decoding) stay with the relay, so this module depends on zod only.

/** Type of the control frame in which an upstream relay tells a hub what is revoked. */
export const REVOCATIONS_FRAME = 'tabsync-revocations'

/** Type of the fast-path frame: a document's new changes, pushed ahead of the sync exchange. */
export const CHANGE_FRAME = 'tabsync-change'
/** Most changes one `tabsync-change` frame may carry (a command makes one). */
export const MAX_CHANGES_PER_FRAME = 64

/** Every frame type of the protocol, by name. */
export const FrameType = {
  join: 'join',
  peer: 'peer',
  error: 'error',
  sync: 'sync',
  request: 'request',
  ephemeral: 'ephemeral',
  docUnavailable: 'doc-unavailable',
  remoteSubscriptionChange: 'remote-subscription-change',
  remoteHeadsChanged: 'remote-heads-changed',
  heartbeat: HEARTBEAT_FRAME_TYPE,
  revocations: REVOCATIONS_FRAME,
  change: CHANGE_FRAME,
} as const
/** One of the {@link FrameType} values. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType]

/** A peer id as it may appear in a frame. */
export const peerIdSchema = z.string().min(1).max(256)
/** A document id's shape (base58); the relay also verifies its checksum. */
export const documentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[1-9A-HJ-NP-Za-km-z]+$/, 'not a document id')
const bytes = z.instanceof(Uint8Array)
const peerMetadata = z
  .object({ storageId: z.string().max(256).optional(), isEphemeral: z.boolean().optional() })
  .optional()

/** A device's first frame: who it is and which protocol versions it speaks. */
export const joinFrameSchema = z.object({
  type: z.literal(FrameType.join),
  senderId: peerIdSchema,
  peerMetadata,
  supportedProtocolVersions: z.array(z.string().max(16)).max(16).optional(),
  /** The device reads `tabsync-change` frames (the relay sends them to no one else). */
  changeFrames: z.boolean().optional(),
})

/** The relay's answer to `join`. `heartbeatMs`: a Tabsync relay that selected `tabsync.v1`
 *  promises a frame at least this often, so the device may hold it to a silence deadline. */
export const peerFrameSchema = z.object({
  type: z.literal(FrameType.peer),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  peerMetadata,
  selectedProtocolVersion: z.string().max(16),
  heartbeatMs: z.number().positive().finite().optional(),
  /** The relay takes `tabsync-change` frames (a device sends them to no other relay). */
  changeFrames: z.boolean().optional(),
})

/** An error reported by the other side before it closes. */
export const errorFrameSchema = z.object({
  type: z.literal(FrameType.error),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  message: z.string(),
})

/** The relay's liveness beat to `tabsync.v1` clients; carries nothing. */
export const heartbeatFrameSchema = z.object({
  type: z.literal(FrameType.heartbeat),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
})

/** Automerge sync data (or a request for a document the sender lacks). */
export const syncFrameSchema = z.object({
  type: z.enum([FrameType.sync, FrameType.request]),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  documentId: documentIdSchema,
  data: bytes,
})

/** Ephemeral (presence) data of a document; opaque to the relay. */
export const ephemeralFrameSchema = z.object({
  type: z.literal(FrameType.ephemeral),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  documentId: documentIdSchema,
  data: bytes,
  count: z.number().int().nonnegative(),
  sessionId: z.string().min(1).max(128),
})

/**
 * The fast path of a change: the Automerge changes a device just made to one document, sent at
 * once (device -> relay) or forwarded by the relay after it checked and applied them (relay ->
 * the other devices of that document's store). Only between sides that said `changeFrames` in
 * `join`/`peer`; the sync exchange still runs and stays the truth (a receiver that lacks a
 * change's dependencies ignores the frame, and sync delivers).
 */
export const changeFrameSchema = z.object({
  type: z.literal(FrameType.change),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  documentId: documentIdSchema,
  changes: z.array(bytes).min(1).max(MAX_CHANGES_PER_FRAME),
})

/** The sender does not have (or may not share) the document. */
export const unavailableFrameSchema = z.object({
  type: z.literal(FrameType.docUnavailable),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  documentId: documentIdSchema,
})

/** Subscribe to / unsubscribe from the heads of remote storage ids. */
export const remoteSubscriptionFrameSchema = z.object({
  type: z.literal(FrameType.remoteSubscriptionChange),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  add: z.array(z.string()).optional(),
  remove: z.array(z.string()).optional(),
})

/** New heads of a document at remote storage ids. */
export const remoteHeadsFrameSchema = z.object({
  type: z.literal(FrameType.remoteHeadsChanged),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  documentId: documentIdSchema,
  newHeads: z.record(z.string(), z.unknown()),
})

/** The revocation list an upstream relay pushes to a hub. */
export const revocationsFrameSchema = z.object({
  type: z.literal(FrameType.revocations),
  senderId: peerIdSchema,
  targetId: peerIdSchema,
  // Checked entry by entry by the hub; bounded here.
  revocations: z.array(z.unknown()).max(100_000),
})

/** Everything a device may send to the relay. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  joinFrameSchema,
  syncFrameSchema,
  ephemeralFrameSchema,
  unavailableFrameSchema,
  remoteSubscriptionFrameSchema,
  remoteHeadsFrameSchema,
  changeFrameSchema,
])
/** A frame a device sends. */
export type ClientFrame = z.infer<typeof clientFrameSchema>
/** The `join` frame. */
export type JoinFrame = z.infer<typeof joinFrameSchema>
/** The `peer` frame. */
export type PeerFrame = z.infer<typeof peerFrameSchema>
/** The `tabsync-change` frame. */
export type ChangeFrame = z.infer<typeof changeFrameSchema>
/** A frame about one document's content. */
export type DocFrame =
  | z.infer<typeof syncFrameSchema>
  | z.infer<typeof ephemeralFrameSchema>
  | z.infer<typeof unavailableFrameSchema>

/** Everything a relay may send to a device (or an upstream relay to a hub). */
export const serverFrameSchema = z.discriminatedUnion('type', [
  peerFrameSchema,
  errorFrameSchema,
  heartbeatFrameSchema,
  revocationsFrameSchema,
  syncFrameSchema,
  ephemeralFrameSchema,
  unavailableFrameSchema,
  remoteSubscriptionFrameSchema,
  remoteHeadsFrameSchema,
  changeFrameSchema,
])
/** A frame a relay sends. */
export type ServerFrame = z.infer<typeof serverFrameSchema>
