import { z } from 'zod'

/** The path of the relay's clock: a device calibrates its hybrid clock against it. */
export const TIME_PATH = '/time'

/**
 * `GET /time`'s answer: the relay's wall clock in milliseconds since the epoch. The relay builds
 * it with this schema's type and the device parses it with the schema, so neither side can drift.
 */
export const timeReplySchema = z.object({ now: z.number().finite() })
export type TimeReply = z.infer<typeof timeReplySchema>
