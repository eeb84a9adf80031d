import type { HybridClock } from '../clock/hybrid-clock.js'
import type { Stamp, StoredEntry } from '../schema/order.js'
import { encode } from '../schema/encoding.js'
import type { StoreData } from '../schema/store.js'
import { check } from '../errors.js'

/** What every command needs besides the document: who is acting, their clock, the store. */
export interface CommandContext {
  readonly deviceId: string
  readonly clock: HybridClock
  /** The store configuration (menu, tables, tax) as plain data. */
  readonly store: StoreData
}

/** A fresh `{ at, by }` for a new entry. */
export function stamp(ctx: CommandContext): Stamp {
  return { at: ctx.clock.now(), by: ctx.deviceId }
}

/** Writes a value into a map of a document being changed (store and table documents). */
export function append<V>(map: Readonly<Record<string, V>>, id: string, value: V): void {
  ;(map as Record<string, V>)[id] = value
}

/** Appends an order entry under its id; the id is the key and is not stored again inside. */
export function appendEntry<E extends { readonly id: string }>(
  map: Readonly<Record<string, StoredEntry<E>>>,
  entry: E,
): void {
  const { id, ...rest } = entry
  ;(map as Record<string, unknown>)[id] = encode(rest)
}

/** Sets a field of a document being changed (descriptive, last-writer-wins fields only). */
export function setField<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): void {
  ;(obj as { -readonly [P in keyof T]: T[P] })[key] = value
}

/** Validates a whole number in [min, max]. */
export function checkInt(
  value: unknown,
  min: number,
  max: number,
  what: string,
): asserts value is number {
  check(
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max,
    `${what} must be a whole number from ${min} to ${max}`,
    { [what]: value },
  )
}

/** Validates free text staff typed: a string of at most `max` characters. */
export function checkText(
  value: unknown,
  max: number,
  what: string,
  required = false,
): asserts value is string {
  check(
    typeof value === 'string' && value.length <= max,
    `${what} must be text of at most ${max} characters`,
  )
  check(!required || value.trim().length > 0, `${what} is required`)
}

/**
 * The value stored under `key` in `map` only if it is the map's own property: a key named like
 * an `Object.prototype` member (`constructor`, `toString`, `__proto__`) finds nothing rather
 * than a function. Every id a caller gives is looked up through this.
 */
export function own<V>(map: Readonly<Record<string, V>> | undefined, key: unknown): V | undefined {
  if (map === undefined || typeof key !== 'string' || !Object.hasOwn(map, key)) return undefined
  return map[key]
}

/** Validates that a command's input is an object (not null, not an array), naming the command. */
export function checkInput(input: unknown, command: string): asserts input is object {
  check(
    typeof input === 'object' && input !== null && !Array.isArray(input),
    `${command} needs an input object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
  )
}

/** Validates an id a caller names (line, payment, table, item): a non-empty string of id shape. */
export function checkRef(value: unknown, what: string): asserts value is string {
  check(
    typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value),
    `${what} must be an id (1-64 letters, digits, - _ . :), got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 70)) : typeof value}`,
  )
}
