import type { DocumentId } from '@automerge/automerge-repo/slim'
import type { OrderDigest } from '@tabsync/core'
import { expect, test } from 'vitest'
import { MemoryStorageAdapter } from '../storage/memory-storage.js'
import { dayPrefix, encodeBlob, parseBlob, type SummaryEntry } from './summary-blobs.js'
import { SEGMENTS_PER_WHOLE, StoredDay } from './summary-day.js'

const date = '2026-12-03'
const ids = Array.from({ length: 50 }, (_, i) => `doc${i}` as DocumentId)
/** An entry standing for a digest of chunk `n` (the blobs store digests as they are). */
const entry = (n: number): SummaryEntry => ({
  chunks: [`incremental/${n}`],
  digest: { orderId: `order-${n}` } as unknown as OrderDigest,
})

async function blobs(storage: MemoryStorageAdapter) {
  return (await storage.loadRange(dayPrefix(date))).map((c) => ({
    name: c.key[2],
    entries: parseBlob(c.data!)!,
  }))
}

async function dayOf(storage: MemoryStorageAdapter): Promise<StoredDay> {
  return StoredDay.fromBlobs(await storage.loadRange(dayPrefix(date)), () => {
    throw new Error('unreadable blob')
  })
}

test('a write after the day’s first writes only the entries that changed; a reader gets each one’s newest entry', async () => {
  const storage = new MemoryStorageAdapter()
  const day = await dayOf(storage)
  ids.forEach((id, i) => day.own.set(id, entry(i)))
  await day.write(storage, 'w1', date, new Set(ids))
  day.own.set(ids[7]!, entry(1007))
  await day.write(storage, 'w1', date, new Set([ids[7]!]))
  const written = await blobs(storage)
  expect(written.map((b) => [b.name, b.entries.size])).toEqual([
    ['w1.1', 50],
    ['w1.2', 1],
  ])
  const reader = await dayOf(storage)
  expect(reader.candidates(ids[7]!)).toEqual([entry(1007)])
  expect(reader.candidates(ids[8]!)).toEqual([entry(8)])
})

test('once the changed entries add up to the whole day, the day is written whole again and the blobs it replaces are removed', async () => {
  const storage = new MemoryStorageAdapter()
  const day = await dayOf(storage)
  ids.forEach((id, i) => day.own.set(id, entry(i)))
  await day.write(storage, 'w1', date, new Set(ids))
  let most = 0
  for (let round = 0; round < 3 * SEGMENTS_PER_WHOLE; round++) {
    const id = ids[round % ids.length]!
    day.own.set(id, entry(1000 + round))
    await day.write(storage, 'w1', date, new Set([id]))
    most = Math.max(most, (await blobs(storage)).length)
  }
  // Bounded by the segment count, never one blob per write.
  expect(most).toBeLessThanOrEqual(SEGMENTS_PER_WHOLE + 1)
  const reader = await dayOf(storage)
  for (const id of ids) expect(reader.candidates(id)).toEqual([day.own.get(id)])
})

test('a writer’s first write of a day folds the blobs of other writers and earlier versions in, and removes them', async () => {
  const storage = new MemoryStorageAdapter()
  // An earlier version's whole blob (named by its writer alone) and another writer's segment.
  await storage.save([...dayPrefix(date), 'old'], encodeBlob('old', new Map([[ids[0]!, entry(0)]])))
  await storage.save([...dayPrefix(date), 'w2.4'], encodeBlob('w2', new Map([[ids[1]!, entry(1)]])))
  const day = await dayOf(storage)
  day.own.set(ids[2]!, entry(2))
  await day.write(storage, 'w1', date, new Set([ids[2]!]))
  const written = await blobs(storage)
  expect(written.map((b) => [b.name, [...b.entries.keys()].sort()])).toEqual([
    ['w1.1', [ids[0], ids[1], ids[2]]],
  ])
})
