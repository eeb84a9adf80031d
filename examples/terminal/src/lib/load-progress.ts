/*
 * The start screen's words for what the device is loading: staff see what it waits for and how
 * far it got, never a blank screen.
 */
import type { LoadProgress } from './device.js'

/** "Fetching orders from the store: 3 of 15", "Loading tables: 18 of 18", "Loading the store…". */
export function loadProgressText(p: LoadProgress): string {
  if (p.what === 'store') {
    return p.fetching ? 'Fetching the store…' : 'Loading the store…'
  }
  const verb = p.fetching ? `Fetching ${p.what} from the store` : `Loading ${p.what}`
  return `${verb}: ${p.done} of ${p.total}`
}
