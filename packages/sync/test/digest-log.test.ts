// The summary cache's digest blob (digest-log.ts): deltas, compaction into a base, old business
// days dropped, unreadable values ignored, and a crash at any moment of a compaction reads as
// the state before or after it, never less.
import type { DocumentId } from '@automerge/automerge-repo/slim'
import type { OrderDigest } from '@tabsync/core'
import { afterEach, expect, test, vi } from 'vitest'
import {
  COMPACT_AFTER,
  DIGEST_PREFIX,
  DigestLog,
  KEEP_DAYS,
  type StoredDigest,
} from '../src/device/digest-log.js'
import type { Logger } from '../src/log/logger.js'
import { createCrashableStorage, seededRandom } from '../src/testing/index.js'

afterEach(() => {
  vi.useRealTimers()
})

function entry(n: number, businessDate = '2026-12-02'): StoredDigest {
  return {
    heads: [`h${n}`],
    chunks: [`incremental/c${n}:${n}`],
    digest: { orderId: `o${n}`, businessDate } as unknown as OrderDigest,
  }
}

const id = (n: number) => `doc-${n}` as DocumentId

/** Runs `p` to completion under fake timers, calling `step` at every simulated millisecond. */
async function stepped<T>(p: Promise<T>, step: () => Promise<void>): Promise<T> {
  let settled = false
  const done = p.finally(() => {
    settled = true
  })
  for (let ms = 0; !settled && ms < 10_000; ms++) {
    await step()
    await vi.advanceTimersByTimeAsync(1)
  }
  return done
}

test('a crash at any moment of a compaction leaves every entry readable, and the compaction leaves one value', async () => {
  vi.useFakeTimers()
  const disk = createCrashableStorage({ random: seededRandom(3), minWriteMs: 1, maxWriteMs: 6 })
  const log = new DigestLog(disk.adapter())
  const expected = new Map<DocumentId, StoredDigest>()
  for (let n = 1; n <= COMPACT_AFTER; n++) {
    expected.set(id(n), entry(n))
    await stepped(log.append(new Map([[id(n), entry(n)]])), async () => undefined)
  }
  expect((await disk.adapter().loadRange(DIGEST_PREFIX)).length).toBe(COMPACT_AFTER)

  // The next append compacts: at every millisecond, what a crash would leave reads as all the
  // entries before it, or all of them after it.
  const before = new Map(expected)
  expected.set(id(0), entry(0))
  let sawBoth = 0
  await stepped(log.append(new Map([[id(0), entry(0)]])), async () => {
    const read = await new DigestLog(disk.durableView()).entries()
    const asBefore = read.size === before.size
    expect(read).toEqual(asBefore ? before : expected)
    const values = await disk.durableView().loadRange(DIGEST_PREFIX)
    if (values.some((v) => v.key[1] === 'base') && values.length > 1) sawBoth++
  })
  // A crash between the new base and the removal of the old values was possible at some moment.
  expect(sawBoth).toBeGreaterThan(0)
  const values = await disk.adapter().loadRange(DIGEST_PREFIX)
  expect(values.map((v) => v.key[1])).toEqual(['base'])
  expect(await new DigestLog(disk.adapter()).entries()).toEqual(expected)
})

test(`a compaction keeps the newest ${KEEP_DAYS} business days and says which documents it dropped`, async () => {
  const disk = createCrashableStorage({ minWriteMs: 0, maxWriteMs: 0 })
  const log = new DigestLog(disk.adapter())
  const days = ['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01']
  let dropped: DocumentId[] = []
  for (let n = 0; n <= COMPACT_AFTER; n++) {
    dropped = await log.append(new Map([[id(n), entry(n, days[n % days.length])]]))
  }
  const oldest = [...Array(COMPACT_AFTER + 1).keys()].filter((n) => n % days.length === 0)
  expect(dropped.sort()).toEqual(oldest.map(id).sort())
  const read = await new DigestLog(disk.adapter()).entries()
  expect([...new Set([...read.values()].map((e) => e.digest.businessDate))].sort()).toEqual(
    days.slice(1),
  )
  expect(read.size).toBe(COMPACT_AFTER + 1 - oldest.length)
})

test('an unreadable value is ignored and logged; the others are read', async () => {
  const disk = createCrashableStorage({ minWriteMs: 0, maxWriteMs: 0 })
  const log = new DigestLog(disk.adapter())
  await log.append(new Map([[id(1), entry(1)]]))
  await log.append(new Map([[id(2), entry(2)]]))
  await disk.adapter().save([...DIGEST_PREFIX, 'delta', '0000000003'], new Uint8Array([123, 34]))
  const warned: unknown[] = []
  const logger = { warn: (o: unknown) => warned.push(o) } as unknown as Logger
  const read = await new DigestLog(disk.adapter(), logger).entries()
  expect([...read.keys()].sort()).toEqual([id(1), id(2)])
  expect(warned).toHaveLength(1)
})
