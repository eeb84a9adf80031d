// The terminal's reactive bindings are the published @tabsync/svelte package; this module keeps
// the terminal's import path (and its test) where they were.
export { bindDays, bindDoc, bindFound, bindSource, bindStatus, bindWatch } from '@tabsync/svelte'
export type { Reactive, ReactiveDays } from '@tabsync/svelte'
