import type { StorageAdapterInterface } from '@automerge/automerge-repo'
import { z } from 'zod'
import type { Logger } from '../log.js'
import { ID_PATTERN } from '@tabsync/protocol'
import type { TokenClaims } from './claims.js'

/** Storage key prefix of revocation records (next to the ownership records). */
export const REVOCATION_KEY = ['tabsync-relay', 'revoked'] as const

/** A revoked device or token. */
export const revocationSchema = z.object({
  /** `device`: every token of that device id; `token`: the one token with that `jti`. */
  kind: z.enum(['device', 'token']),
  id: z.string().regex(ID_PATTERN),
  /** Only tokens of these stores are refused (a back office revokes within its stores);
   *  absent: every store (the operator's `tabsync-relay revoke`). */
  stores: z.array(z.string().regex(ID_PATTERN)).min(1).max(64).optional(),
  /** When it was revoked (epoch ms) and by whom (device id, or `cli`). */
  at: z.number().int(),
  by: z.string().max(256),
})
export type Revocation = z.infer<typeof revocationSchema>

/** True when `revocation` refuses a connection with these claims. */
export function revokes(revocation: Revocation, claims: TokenClaims): boolean {
  const hit =
    revocation.kind === 'device'
      ? claims.deviceId === revocation.id
      : claims.tokenId !== undefined && claims.tokenId === revocation.id
  if (!hit) return false
  const stores = revocation.stores
  return stores === undefined || claims.storeIds.some((s) => stores.includes(s))
}

function keyOf(r: Pick<Revocation, 'kind' | 'id' | 'stores'>): string[] {
  return [...REVOCATION_KEY, `${r.kind}:${r.id}:${(r.stores ?? ['*']).join(',')}`]
}

/**
 * Writes one revocation into a relay's storage. Used by the running relay and by
 * `tabsync-relay revoke` (which writes into the data directory of a relay that may be running:
 * the relay reads the records again every `pollMs`).
 */
export async function storeRevocation(
  storage: StorageAdapterInterface,
  revocation: Revocation,
): Promise<void> {
  await storage.save(
    keyOf(revocation),
    new TextEncoder().encode(JSON.stringify(revocationSchema.parse(revocation))),
  )
}

/**
 * The relay's revocation list: persisted in its storage adapter (so it survives restarts and is
 * shared by relay nodes on the same storage), re-read every `pollMs` (a `tabsync-relay revoke`
 * run against the data directory, another node's revocation), and told to listeners when it
 * grows so they close the sockets it now refuses.
 */
export class RevocationList {
  readonly #storage: StorageAdapterInterface
  readonly #log: Logger
  readonly #entries = new Map<string, Revocation>()
  readonly #listeners = new Set<(added: readonly Revocation[]) => void>()
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(storage: StorageAdapterInterface, log: Logger) {
    this.#storage = storage
    this.#log = log
  }

  /** Every revocation known. */
  entries(): Revocation[] {
    return [...this.#entries.values()]
  }

  /** The revocations that concern devices of these stores (what a hub of them must know). */
  forStores(storeIds: readonly string[]): Revocation[] {
    return this.entries().filter(
      (r) => r.stores === undefined || r.stores.some((s) => storeIds.includes(s)),
    )
  }

  /** The revocation refusing these claims, if any. */
  find(claims: TokenClaims): Revocation | undefined {
    for (const r of this.#entries.values()) if (revokes(r, claims)) return r
    return undefined
  }

  /** Called with the new entries whenever the list grows. Returns an unsubscribe function. */
  onAdded(listener: (added: readonly Revocation[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Reads the stored records; new ones are announced. Unreadable records are logged, skipped. */
  async refresh(): Promise<Revocation[]> {
    const chunks = await this.#storage.loadRange([...REVOCATION_KEY])
    const added: Revocation[] = []
    for (const chunk of chunks) {
      const name = chunk.key.at(-1)
      if (name === undefined || !chunk.data || this.#entries.has(name)) continue
      try {
        const parsed = revocationSchema.parse(JSON.parse(new TextDecoder().decode(chunk.data)))
        this.#entries.set(name, parsed)
        added.push(parsed)
      } catch (err) {
        this.#log.error({ err, key: chunk.key }, 'unreadable revocation record skipped')
      }
    }
    this.#announce(added)
    return added
  }

  /**
   * Adds revocations (from the back office, the CLI, or a hub's upstream): stored first, then
   * announced. Resolves to the ones that were new.
   */
  async add(revocations: readonly Revocation[]): Promise<Revocation[]> {
    const added: Revocation[] = []
    for (const r of revocations) {
      const name = keyOf(r).at(-1)!
      if (this.#entries.has(name)) continue
      await storeRevocation(this.#storage, r)
      this.#entries.set(name, r)
      added.push(r)
    }
    this.#announce(added)
    return added
  }

  /** Re-reads storage every `pollMs` until {@link stop}. */
  startPolling(pollMs: number): void {
    this.stop()
    this.#timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.#log.error({ err }, 'could not re-read the revocation list'),
      )
    }, pollMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #announce(added: readonly Revocation[]): void {
    if (added.length === 0) return
    for (const r of added) this.#log.warn({ revocation: r }, 'revoked')
    for (const listener of this.#listeners) listener(added)
  }
}
