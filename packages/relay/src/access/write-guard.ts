import * as A from '@automerge/automerge'
import type { Principal } from './principal.js'
import { ChangeExpander } from './change-expander.js'
import { ANY_KIND, ROLE_RIGHTS, mayWritePath, rightsIn, type WritePath } from './role-rights.js'
import { writePaths, type DocumentMemo } from './write-paths.js'

/** Why a write was refused (the `reason` of the log line). */
export const WriteRefusal = {
  /** A change writes where the sender's role may not. */
  forbiddenPath: 'forbidden-path',
  /** The role may not write this kind of document at all (or a document without `kind`). */
  forbiddenKind: 'forbidden-kind',
  /** A change writes into an object the relay cannot place: it cannot be judged, so no. */
  unknownObject: 'unknown-object',
} as const
export type WriteRefusal = (typeof WriteRefusal)[keyof typeof WriteRefusal]

/** The guard's answer for one inbound sync message. */
export type WriteVerdict =
  | { readonly allowed: true }
  | {
      readonly allowed: false
      readonly reason: WriteRefusal
      readonly kind: string | undefined
      readonly paths: readonly string[]
    }

/** Dependencies of {@link WriteGuard}. */
export interface WriteGuardOptions {
  /** The relay's current copy of a document (loaded, else from storage), or undefined if none. */
  readonly currentDoc: (documentId: string) => Promise<A.Doc<unknown> | undefined>
}

const MAX_MEMO_DOCUMENTS = 2_000
const MAX_MEMO_OBJECTS = 50_000
const ALLOWED: WriteVerdict = { allowed: true }

/**
 * Enforces rights per role ({@link ROLE_RIGHTS}) on every sync message a device sends, before
 * the repo sees it: the message's changes are decoded, each op's target object is placed in the
 * document (root key, entry key) through the relay's own copy, and every place must be one the
 * sender's role may write in that kind of document. Changes the relay already holds are not
 * judged (devices forward each other's changes). The upstream relay seen from a hub is trusted.
 */
export class WriteGuard {
  readonly #currentDoc: WriteGuardOptions['currentDoc']
  /** Per connection (any object standing for it), per document: what its accepted frames made. */
  readonly #memos = new WeakMap<object, Map<string, DocumentMemo>>()
  readonly #expander = new ChangeExpander()

  constructor(options: WriteGuardOptions) {
    this.#currentDoc = options.currentDoc
  }

  /**
   * Judges one inbound `sync` or `request` message (its Automerge sync data, or the changes of
   * it already decoded) of `principal` on the connection `holder`. Resolves to allowed, or to the refusal and where it wrote.
   */
  async check(
    principal: Principal,
    holder: object,
    documentId: string,
    message: Uint8Array | readonly Uint8Array[],
  ): Promise<WriteVerdict> {
    const role = principal.role
    if (principal.upstream || role === undefined) return ALLOWED
    if (ROLE_RIGHTS[role][ANY_KIND] === 'all') return ALLOWED
    const changes = message instanceof Uint8Array ? A.decodeSyncMessage(message).changes : message
    if (changes.length === 0) return ALLOWED

    const doc = await this.#currentDoc(documentId)
    // A role that may write anything in this kind of document (a terminal in an order or a
    // table: most of the traffic) is allowed wherever the changes write, so they are neither
    // expanded nor placed (placing walked the whole document for each new version of it). Same
    // verdict as below, where the kind comes from the relay's copy first too; the memo serves
    // narrower rights only, and a replica catches up from the relay's copy when next needed.
    if (rightsIn(role, kindOf(doc)) === 'all') return ALLOWED
    const memo = this.#memos.get(holder)?.get(documentId)
    const expanded = this.#expander.expand(documentId, doc, changes)
    const summary = writePaths(doc, expanded.changes, memo)
    if (summary.newChanges === 0) return ALLOWED

    const kind =
      kindOf(doc) ?? memo?.kind ?? summary.kindSet ?? materializedKind(doc, expanded.changes)
    const rights = rightsIn(role, kind)
    const refuse = (reason: WriteRefusal, paths: readonly WritePath[]): WriteVerdict => {
      this.#expander.refused(documentId)
      return { allowed: false, reason, kind, paths: paths.map((p) => p.join('/')) }
    }
    if (rights === undefined) return refuse(WriteRefusal.forbiddenKind, summary.paths)
    if (rights !== 'all') {
      if (summary.unknownObject || expanded.missingDeps)
        return refuse(WriteRefusal.unknownObject, summary.paths)
      const outside = summary.paths.filter((p) => !mayWritePath(rights, p, principal.deviceId))
      if (outside.length > 0) return refuse(WriteRefusal.forbiddenPath, outside)
    }
    this.#remember(holder, documentId, kind, summary.created)
    return ALLOWED
  }

  #remember(
    holder: object,
    documentId: string,
    kind: string | undefined,
    created: ReadonlyMap<string, WritePath>,
  ): void {
    let docs = this.#memos.get(holder)
    if (!docs) this.#memos.set(holder, (docs = new Map()))
    let memo = docs.get(documentId)
    if (!memo) {
      // Bounded: the memo only bridges frames the repo has not applied yet; the relay's copy
      // answers for everything older, so forgetting is safe.
      if (docs.size >= MAX_MEMO_DOCUMENTS) docs.clear()
      memo = { kind: undefined, objects: new Map() }
      docs.set(documentId, memo)
    }
    memo.kind ??= kind
    if (memo.objects.size + created.size > MAX_MEMO_OBJECTS) memo.objects.clear()
    for (const [id, path] of created) memo.objects.set(id, path)
  }
}

/** The root `kind` of a document, whether stored as an immutable string or as text. */
export function kindOf(doc: A.Doc<unknown> | undefined): string | undefined {
  const kind = (doc as { kind?: unknown } | undefined)?.kind
  if (typeof kind === 'string') return kind
  if (A.isImmutableString(kind)) return kind.toString()
  return undefined
}

/** The kind the document would have with `changes` applied (text `kind`s, split changes). */
function materializedKind(
  doc: A.Doc<unknown> | undefined,
  changes: readonly Uint8Array[],
): string | undefined {
  try {
    const base = doc ? A.clone(doc) : A.init<unknown>()
    const [after] = A.applyChanges(base, changes as Uint8Array[])
    return kindOf(after)
  } catch {
    return undefined
  }
}
