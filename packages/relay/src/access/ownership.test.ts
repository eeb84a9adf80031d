import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { createLogger } from '../log.js'
import { OwnershipRegistry, readStoreId } from './ownership.js'
import type { Principal } from './principal.js'
import { FileStorageAdapter } from '../storage/file-storage-adapter.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const log = createLogger('silent')
const device = (deviceId: string, ...storeIds: string[]): Principal => ({
  peerId: deviceId,
  deviceId,
  storeIds,
  upstream: false,
})
const DOC = '2vNcrUgkSzaYr8EATXYuXmcBxaG2'

async function withRegistry(
  fn: (r: () => OwnershipRegistry, storage: FileStorageAdapter) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tabsync-own-'))
  const storage = new FileStorageAdapter(dir)
  try {
    await fn(() => new OwnershipRegistry(storage, { log }), storage)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('ownership', () => {
  test('the version moves when a cached answer changes (learnt, claimed, settled, forgotten), not when one is reused', () =>
    withRegistry(async (fresh) => {
      const r = fresh()
      const a1 = device('a1', 'A')
      const v0 = r.version
      await r.lookup(DOC) // learnt: no record
      const learnt = r.version
      expect(learnt).toBeGreaterThan(v0)
      await r.lookup(DOC) // reused
      expect(r.version).toBe(learnt)
      await r.authorizeInbound(a1, DOC, true) // claimed
      const claimed = r.version
      expect(claimed).toBeGreaterThan(learnt)
      await r.authorizeInbound(a1, DOC, false) // reused
      expect(r.version).toBe(claimed)
      r.resolve(DOC, { storeId: 'A' }) // settled
      const settled = r.version
      expect(settled).toBeGreaterThan(claimed)
      r.forget(DOC)
      expect(r.version).toBeGreaterThan(settled)
      await r.settled()
    }))

  test('content claims a document for the store of its introducer; other stores are refused', () =>
    withRegistry(async (fresh) => {
      const r = fresh()
      const a1 = device('a1', 'A')
      const a2 = device('a2', 'A')
      const b1 = device('b1', 'B')
      // A request for an unknown document passes (nothing to leak) and claims nothing.
      expect(await r.authorizeInbound(b1, DOC, false)).toEqual({ allowed: true })
      expect(r.peek(DOC)).toBeNull()
      // Ephemeral data claims nothing.
      expect(await r.authorizeInbound(a1, DOC, true, false)).toEqual({
        allowed: false,
        reason: 'unowned-content',
      })
      expect(r.peek(DOC)).toBeNull()
      // Content from a1 claims it for A.
      expect(await r.authorizeInbound(a1, DOC, true)).toEqual({ allowed: true })
      expect(r.peek(DOC)).toMatchObject({ state: 'claimed', candidates: ['A'], introducer: 'a1' })
      expect(await r.authorizeInbound(a2, DOC, false)).toEqual({ allowed: true })
      expect(await r.authorizeInbound(b1, DOC, false)).toEqual({
        allowed: false,
        reason: 'other-store',
      })
      expect(r.mayAccess(b1, DOC, false)).toBe(false)
      // Resolved by the root storeId.
      expect(r.resolve(DOC, { storeId: new A.ImmutableString('A') })).toMatchObject({
        state: 'owned',
        storeId: 'A',
      })
      expect(r.mayAccess(a2, DOC, true)).toBe(true)
      expect(r.mayAccess(b1, DOC, true)).toBe(false)
      await r.settled()
      // A second node (fresh cache, same storage) gives the same answers.
      const other = fresh()
      expect(await other.authorizeInbound(b1, DOC, true)).toEqual({
        allowed: false,
        reason: 'other-store',
      })
      expect(await other.authorizeInbound(a2, DOC, true)).toEqual({ allowed: true })
      expect(await other.documentsOfStore('A')).toEqual([DOC])
    }))

  test('a storeId that is not one of the introducer stores quarantines the document', () =>
    withRegistry(async (fresh) => {
      const r = fresh()
      const a1 = device('a1', 'A')
      await r.authorizeInbound(a1, DOC, true)
      expect(r.resolve(DOC, { storeId: 'B' })).toMatchObject({ state: 'quarantined' })
      expect(await r.authorizeInbound(a1, DOC, true)).toEqual({
        allowed: false,
        reason: 'quarantined',
      })
      expect(await r.authorizeInbound(device('b1', 'B'), DOC, false)).toEqual({
        allowed: false,
        reason: 'quarantined',
      })
    }))

  test('with a multi-store introducer only that device takes part until the content says which store', () =>
    withRegistry(async (fresh) => {
      const r = fresh()
      const hub = device('hub-1', 'A', 'B')
      await r.authorizeInbound(hub, DOC, true)
      expect(await r.authorizeInbound(device('a1', 'A'), DOC, false)).toMatchObject({
        allowed: false,
      })
      expect(await r.authorizeInbound(hub, DOC, true)).toEqual({ allowed: true })
      r.resolve(DOC, { storeId: 'B' })
      expect(await r.authorizeInbound(device('b1', 'B'), DOC, false)).toEqual({ allowed: true })
      expect(await r.authorizeInbound(device('a1', 'A'), DOC, false)).toMatchObject({
        allowed: false,
      })
    }))

  test('content already in storage without a record is refused to everyone', () =>
    withRegistry(async (fresh, storage) => {
      // A document written into storage by something other than this relay's checks.
      await storage.save([DOC, 'incremental', 'abc'], new Uint8Array([1, 2, 3]))
      const r = fresh()
      const a1 = device('a1', 'A')
      expect(await r.authorizeInbound(a1, DOC, true)).toEqual({
        allowed: false,
        reason: 'quarantined',
      })
      expect(await r.authorizeInbound(a1, DOC, false)).toEqual({
        allowed: false,
        reason: 'quarantined',
      })
    }))

  test("a peer's sync state stored before any content does not count as foreign content", () =>
    withRegistry(async (fresh, storage) => {
      // Regression: the first heads-only message of a new document makes automerge-repo save the
      // peer's sync state; the claim then saw a chunk under the document and quarantined it.
      await storage.save([DOC, 'sync-state', 'some-storage-id'], new Uint8Array([1, 2, 3]))
      const r = fresh()
      const a1 = device('a1', 'A')
      expect(await r.authorizeInbound(a1, DOC, true)).toEqual({ allowed: true })
      expect(r.peek(DOC)).toMatchObject({ state: 'claimed' })
    }))

  test('readStoreId reads strings and immutable strings only', () => {
    expect(readStoreId({ storeId: 'A' })).toBe('A')
    expect(readStoreId({ storeId: new A.ImmutableString('B') })).toBe('B')
    expect(readStoreId({ storeId: 3 })).toBeUndefined()
    expect(readStoreId(null)).toBeUndefined()
  })
})
