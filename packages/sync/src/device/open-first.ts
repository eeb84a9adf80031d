import type { HintedRef, OrderRef } from '@tabsync/core'

/** How many of a day's newest unhinted orders are fetched and opened ahead of the rest. */
export const NEWEST_FIRST = 100

/**
 * The order in which a device opens a day's orders: the checks its tables hint open first, then
 * those with no hint yet (written by a device of the previous version, or before any close) the
 * newest first, the first {@link NEWEST_FIRST} of them in the first step too; the checks hinted
 * closed last. A hint only orders the work: every reference is in the list, so a wrong hint
 * (a close merged with a line added elsewhere) delays a check, never hides it, and what the
 * floor shows comes from the order documents.
 */
export function openFirst(hinted: readonly HintedRef[]): {
  /** Every reference once, in opening order. */
  readonly refs: OrderRef[]
  /** How many of `refs` make the first step (fetched and opened before the rest). */
  readonly first: number
  /** How many of `refs`, at their end, the tables hint closed. */
  readonly closed: number
} {
  const newest = (a: HintedRef, b: HintedRef) =>
    a.ref.openedAt < b.ref.openedAt ? 1 : a.ref.openedAt > b.ref.openedAt ? -1 : 0
  const open = hinted.filter((h) => h.hint === 'open').sort(newest)
  const unknown = hinted.filter((h) => h.hint === undefined).sort(newest)
  const closed = hinted.filter((h) => h.hint === 'closed').sort(newest)
  const firstUnknown = unknown.slice(0, NEWEST_FIRST)
  const refs = [...open, ...firstUnknown, ...unknown.slice(NEWEST_FIRST), ...closed].map(
    (h) => h.ref,
  )
  return { refs, first: open.length + firstUnknown.length, closed: closed.length }
}
