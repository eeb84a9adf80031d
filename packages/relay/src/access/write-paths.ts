import * as A from '@automerge/automerge'
import type { WritePath } from './role-rights.js'

/**
 * Where objects of one document live, as write paths: what the relay already holds (read from
 * its copy) plus the objects created by changes it accepted from this connection and may not
 * have applied yet (the repo applies a frame asynchronously when the document is still loading,
 * and the next frame of the same device builds on it).
 */
export interface DocumentMemo {
  /** The document's `kind`, once known from an accepted change. */
  kind: string | undefined
  /** Object id -> write path of the entry that contains it. */
  readonly objects: Map<string, WritePath>
}

/** What a list of changes writes, as far as rights are concerned. */
export interface WriteSummary {
  /** Every distinct write path of the changes the relay does not hold yet. */
  readonly paths: readonly WritePath[]
  /** A write into an object that neither the relay's copy nor the memo knows: not judgeable. */
  readonly unknownObject: boolean
  /** Root `kind` set by these changes (a new document's creation), when it is a plain value. */
  readonly kindSet: string | undefined
  /** Changes the relay did not hold yet. */
  readonly newChanges: number
  /** Objects these changes create (to remember once the frame is accepted). */
  readonly created: ReadonlyMap<string, WritePath>
}

const indexCache = new WeakMap<object, Map<string, WritePath>>()

/**
 * Object id -> write path for every object of `doc` (cached per document snapshot: Automerge
 * documents are immutable values, so the same snapshot always gives the same index). O(objects)
 * once per snapshot: an order holds a few hundred.
 */
export function objectIndex(doc: A.Doc<unknown>): Map<string, WritePath> {
  const cached = indexCache.get(doc as object)
  if (cached) return cached
  const index = new Map<string, WritePath>()
  const walk = (value: unknown, path: WritePath): void => {
    if (!isObject(value)) return
    const id = A.getObjectId(value)
    if (id !== null && id !== undefined) index.set(id, path)
    for (const [key, child] of Object.entries(value)) {
      walk(child, path.length === 1 ? [path[0], key] : path)
    }
  }
  for (const [key, child] of Object.entries(doc as Record<string, unknown>)) walk(child, [key])
  indexCache.set(doc as object, index)
  return index
}

function isObject(value: unknown): value is object {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof A.Counter) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array) &&
    !A.isImmutableString(value)
  )
}

/**
 * Decodes `changes` and lists where they write: each op's object resolved to the entry that
 * contains it, through the relay's copy (`doc`, undefined for a document it has never held) and
 * the connection's `memo`. Changes the relay already holds are skipped: applying them again
 * changes nothing, and devices legitimately forward what other devices wrote.
 */
export function writePaths(
  doc: A.Doc<unknown> | undefined,
  changes: readonly Uint8Array[],
  memo: DocumentMemo | undefined,
): WriteSummary {
  const paths = new Map<string, WritePath>()
  const created = new Map<string, WritePath>()
  let unknownObject = false
  let kindSet: string | undefined
  let newChanges = 0
  let index: Map<string, WritePath> | undefined
  const locate = (obj: string): WritePath | undefined => {
    const local = created.get(obj) ?? memo?.objects.get(obj)
    if (local || !doc) return local
    index ??= objectIndex(doc)
    return index.get(obj)
  }
  for (const bytes of changes) {
    const change = A.decodeChange(bytes)
    if (doc && A.hasHeads(doc, [change.hash as A.Heads[number]])) continue
    newChanges += 1
    change.ops.forEach((op, i) => {
      const key = op.key ?? (op as { elemId?: string }).elemId ?? ''
      let path: WritePath
      if (op.obj === '_root') {
        path = [key]
        if (key === 'kind' && typeof op.value === 'string') kindSet = op.value
      } else {
        const parent = locate(op.obj)
        if (!parent) {
          unknownObject = true
          return
        }
        path = parent.length === 1 ? [parent[0], key] : parent
      }
      paths.set(path.join('\u0000'), path)
      if (op.action.startsWith('make')) created.set(`${change.startOp + i}@${change.actor}`, path)
    })
  }
  return { paths: [...paths.values()], unknownObject, kindSet, newChanges, created }
}
