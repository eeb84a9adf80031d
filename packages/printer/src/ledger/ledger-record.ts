import { z } from 'zod'

/*
 * The ledger's line format (one JSON object per line, `v` = format version). Readable names on
 * purpose: staff or support may have to read this file after an incident.
 *
 *   sending    bytes are about to go to the printer (fsync'd before the first byte)
 *   printed    the printer accepted every byte of that job
 *   uncertain  the send failed after bytes may have left (the bridge kept running)
 *   duplicate  every unit of the ticket was already printed: nothing to send
 *   confirmed  staff said a "may not have printed" ticket did print
 *   recorded   the outcome of a job was written into the order document
 */

const base = {
  v: z.literal(1),
  printer: z.string().min(1),
  ticket: z.string().min(1),
  at: z.number(),
}

/** One ledger line. */
export const LedgerRecordSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('sending'),
    order: z.string().min(1),
    job: z.string().min(1),
    reprint: z.boolean(),
    /** Units printed per line id (only the part not already printed by an earlier ticket). */
    quantities: z.record(z.string(), z.number().int().nonnegative()),
  }),
  z.object({ ...base, type: z.literal('printed'), job: z.string().min(1) }),
  z.object({
    ...base,
    type: z.literal('uncertain'),
    job: z.string().min(1),
    reason: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('duplicate'),
    order: z.string().min(1),
    job: z.string().min(1),
  }),
  z.object({ ...base, type: z.literal('confirmed'), job: z.string().min(1) }),
  z.object({
    ...base,
    type: z.literal('recorded'),
    job: z.string().min(1),
    outcome: z.enum(['printed', 'duplicate', 'reprinted']),
  }),
])

/** One ledger line, validated. */
export type LedgerRecord = z.infer<typeof LedgerRecordSchema>

/** Validates one decoded JSON line; throws on anything else. */
export function parseLedgerRecord(value: unknown): LedgerRecord {
  return LedgerRecordSchema.parse(value)
}
