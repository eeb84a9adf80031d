import { v7 } from 'uuid'

/**
 * A new entry id: a UUIDv7, unique across devices without coordination and roughly time-ordered,
 * so entries keyed by it merge without collisions and re-delivery cannot double them.
 */
export function newId(): string {
  return v7()
}

/** Accepts ids that are safe as Automerge map keys and in URLs: 1-64 chars of [A-Za-z0-9_-]. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value)
}
