import { ServerFeature } from '@tabsync/protocol'

/**
 * What this relay (or hub) serves, named in its `/time` answer: a device flags a relay that lacks
 * a feature its store uses, and does not opt a new store in to one its relay would refuse.
 */
export const RELAY_FEATURES: readonly ServerFeature[] = [ServerFeature.tableDays]
