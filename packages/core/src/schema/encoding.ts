import * as A from '@automerge/automerge'

/**
 * A number stored as an Automerge Counter (quantities, covers): concurrent increments add up.
 * In plain data it is a number; in a document it is an `A.Counter`.
 */
export type CounterNumber = number & { readonly __counter: true }

/**
 * The document form of plain data `T`: strings become `A.ImmutableString` (Automerge 3's default
 * strings are text CRDTs, 2.6x the bytes, and nothing here needs character-level merging) and
 * {@link CounterNumber} fields become `A.Counter`.
 */
export type Encoded<T> = T extends string
  ? A.ImmutableString
  : T extends CounterNumber
    ? A.Counter
    : T extends number | boolean | null | undefined
      ? T
      : T extends readonly (infer U)[]
        ? Encoded<U>[]
        : { [K in keyof T]: Encoded<T[K]> }

/** Turns plain data into its document form. Counter fields must already be `A.Counter`s. */
export function encode<T>(value: T): Encoded<T> {
  return encodeAny(value) as Encoded<T>
}

function encodeAny(value: unknown): unknown {
  if (typeof value === 'string') return new A.ImmutableString(value)
  if (value === null || typeof value !== 'object') return value
  if (value instanceof A.Counter || A.isImmutableString(value)) return value
  if (Array.isArray(value)) return value.map(encodeAny)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeAny(v)
  return out
}

/** Reads a document (or any part of it) back as plain data: strings and numbers only. */
export function decode<T>(value: Encoded<T>): T {
  return decodeAny(value) as T
}

function decodeAny(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  // Lists first: inside A.change a list proxy passed `isImmutableString` in testing, and
  // iterating (rather than indexing) is what gave the elements' proxies back.
  if (Array.isArray(value)) {
    const list: unknown[] = []
    for (const item of value as unknown[]) list.push(decodeAny(item))
    return list
  }
  if (value instanceof A.Counter) return value.value
  if (A.isImmutableString(value)) return value.val
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value)) out[k] = decodeAny((value as Record<string, unknown>)[k])
  return out
}

/** A string field of a document as a plain string (tolerates plain strings from older writers). */
export function text(value: A.ImmutableString | string | undefined): string {
  if (value === undefined) return ''
  return typeof value === 'string' ? value : value.val
}

/**
 * A counter to put into plain data that is about to be {@link encode}d: it is an `A.Counter`
 * at run time, typed as the number it decodes to.
 */
export function asCounter(n: number): CounterNumber {
  return new A.Counter(n) as unknown as CounterNumber
}
