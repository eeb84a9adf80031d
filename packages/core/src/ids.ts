import { v7 } from 'uuid'

/**
 * A new entry id: a UUIDv7 (unique across devices without coordination) written as 22
 * base64url characters rather than 36 hex-and-dashes, because ids are most of what an order
 * stores (measured: 8-line order 1,212 -> 1,058 bytes). Entries are ordered by their hybrid clock
 * time, never by id, so the id needs no sort order of its own.
 */
export function newId(): string {
  const bytes = v7(undefined, new Uint8Array(16))
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Accepts ids that are safe as Automerge map keys and in URLs: 1-64 chars of [A-Za-z0-9_-]. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value)
}
