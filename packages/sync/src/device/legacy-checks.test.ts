import { Repo, type DocumentId } from '@automerge/automerge-repo'
import { expect, test } from 'vitest'
import { readDocAndSource } from '../docs/stored-doc.js'
import type { Logger } from '../log/logger.js'
import { MemoryStorageAdapter } from '../storage/memory-storage.js'
import { LEGACY_CHECKS_PREFIX, LegacyChecks } from './legacy-checks.js'

const DATE = '2026-12-03'

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = []
  const noop = () => undefined
  return {
    logger: { debug: noop, info: noop, warn: (_, m) => void warnings.push(m ?? ''), error: noop },
    warnings,
  }
}

/** A stored table-like document and a record of it read from storage, by another device start. */
async function recorded(): Promise<{ storage: MemoryStorageAdapter; id: DocumentId }> {
  const storage = new MemoryStorageAdapter()
  const writer = new Repo({ storage, network: [] })
  const handle = writer.create({ orders: {} })
  await writer.flush()
  await writer.shutdown()
  const reader = new Repo({ storage, network: [] })
  const got = await readDocAndSource(reader, storage, handle.documentId)
  expect(got?.source.from).toBe('storage')
  const checks = new LegacyChecks(storage, reader, recordingLogger().logger)
  await checks.record(DATE, [
    { id: handle.documentId, source: got!.source, retired: true, refs: [] },
  ])
  await reader.shutdown()
  return { storage, id: handle.documentId }
}

test('a record holds on a later start while the stored chunks are the same, and not once a change is stored', async () => {
  const { storage, id } = await recorded()
  const repo = new Repo({ storage, network: [] })
  const before = await new LegacyChecks(storage, repo, recordingLogger().logger).unchanged(
    [id],
    DATE,
  )
  expect([...before.valid.keys()]).toEqual([id])
  expect(before.absent).toEqual([])
  const handle = await repo.find<{ orders: Record<string, string> }>(id)
  handle.change((d) => void (d.orders['o1'] = 'late'))
  await repo.flush()
  await repo.shutdown()
  const again = new Repo({ storage, network: [] })
  const after = await new LegacyChecks(storage, again, recordingLogger().logger).unchanged(
    [id],
    DATE,
  )
  expect(after.valid.size).toBe(0)
  await again.shutdown()
})

test('a torn record blob is logged and ignored: the table is read, nothing else lost', async () => {
  const { storage, id } = await recorded()
  await storage.save([...LEGACY_CHECKS_PREFIX, DATE], new TextEncoder().encode('{"v":1,"tab'))
  const repo = new Repo({ storage, network: [] })
  const { logger, warnings } = recordingLogger()
  const result = await new LegacyChecks(storage, repo, logger).unchanged([id], DATE)
  expect(result.valid.size).toBe(0)
  expect(warnings).toEqual(['legacy table checks not read'])
  // The document itself is untouched.
  expect((await readDocAndSource(repo, storage, id))?.doc).toEqual({ orders: {} })
  await repo.shutdown()
})
