// @tabsync/svelte: runes bindings for a Svelte 5 point of sale embedding @tabsync/sync.
export {
  bindDays,
  bindDoc,
  bindFound,
  bindSource,
  bindStatus,
  bindWatch,
} from './doc-store.svelte.js'
export type { Reactive, ReactiveDays } from './doc-store.svelte.js'
