import type { Stamp } from '../schema/order.js'

/** Entries of an append-only map in the one order every replica agrees on: by (at, id). */
export function sortedEntries<T extends Stamp & { readonly id: string }>(
  map: Readonly<Record<string, T>>,
): T[] {
  return Object.values(map).sort(compareEntries)
}

/** Orders entries by hybrid clock time, then id. */
export function compareEntries(a: Stamp & { id: string }, b: Stamp & { id: string }): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The latest entry of a map, or undefined. */
export function latestEntry<T extends Stamp & { readonly id: string }>(
  map: Readonly<Record<string, T>>,
): T | undefined {
  let latest: T | undefined
  for (const e of Object.values(map)) if (!latest || compareEntries(e, latest) > 0) latest = e
  return latest
}
