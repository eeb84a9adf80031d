import { z } from 'zod'

/** The path of the relay's clock: a device calibrates its hybrid clock against it. */
export const TIME_PATH = '/time'

/**
 * What a hub or relay serves that an older one does not, named in its `/time` answer. A device
 * compares them with what its store uses (an older relay refuses what it does not know, so the
 * device would keep that work to itself without a word).
 */
export const ServerFeature = {
  /** `table-day` documents (a store's `tableDaysFrom`): relays from issue 15 on admit them. */
  tableDays: 'table-days',
} as const
export type ServerFeature = (typeof ServerFeature)[keyof typeof ServerFeature]

/**
 * `GET /time`'s answer: the relay's wall clock in milliseconds since the epoch, and the features
 * it serves (absent from relays before them: none). The relay builds it with this schema's type
 * and the device parses it with the schema, so neither side can drift. Unknown features are kept
 * as strings: a newer relay may name ones this device does not know.
 */
export const timeReplySchema = z.object({
  now: z.number().finite(),
  features: z.array(z.string().max(64)).max(64).optional(),
})
export type TimeReply = z.infer<typeof timeReplySchema>
