// @tabsync/svelte: runes bindings for a Svelte 5 point of sale embedding @tabsync/sync.
export { bindDoc, bindFound, bindSource, bindStatus, bindWatch } from './doc-store.svelte.js'
export type { Reactive } from './doc-store.svelte.js'
