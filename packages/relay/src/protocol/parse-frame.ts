import * as A from '@automerge/automerge'
import { cbor, isValidDocumentId } from '@automerge/automerge-repo'
import type { ClientFrame, ServerFrame } from '@tabsync/protocol'
import type { z } from 'zod'
import { handOffDecoded } from '../repo/edge-decode-handoff.js'

// Inbound frames are validated here, at the edge, before anything in automerge-repo sees them:
// the stock server adapter trusts whatever CBOR arrives. The schemas are @tabsync/protocol's
// (devices use the same ones); what needs Automerge to check (document-id checksums, the sync
// message inside a frame) is checked here.

/** Result of {@link parseFrame}: the message, or why it was refused. */
export type ParsedFrame<T> =
  | {
      readonly ok: true
      readonly message: T
      readonly carriesChanges: boolean
      /** The decoded sync message of a `sync`/`request`, for later checks to reuse. */
      readonly sync: A.DecodedSyncMessage | undefined
    }
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
  if ('documentId' in message && !isValidDocumentId(message.documentId))
    return { ok: false, reason: 'bad-shape' }
  let carriesChanges = false
  let sync: A.DecodedSyncMessage | undefined
  if (message.type === 'sync' || message.type === 'request') {
    if (message.data.byteLength === 0) return { ok: false, reason: 'bad-sync-data' }
    try {
      sync = A.decodeSyncMessage(message.data)
    } catch {
      return { ok: false, reason: 'bad-sync-data' }
    }
    carriesChanges = message.type === 'sync' && hasContent(sync)
    // The repo decodes these same bytes again when the frame reaches it: give it this decode.
    handOffDecoded(message.data, sync)
  } else if (message.type === 'ephemeral') {
    carriesChanges = true // opaque payload: treat as content
  }
  return { ok: true, message, carriesChanges, sync }
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
