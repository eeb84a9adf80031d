// Issue 17: a process embedding startRelay({ cluster }) installs no process-wide handler. A write
// fenced off after the store's lease moved used to reject inside automerge-repo's save throttle,
// where nothing observes it: an unhandled rejection (fatal in Node by default).
import * as A from '@automerge/automerge'
import pg from 'pg'
import { afterAll, expect, test } from 'vitest'
import { Writable } from 'node:stream'
import { Metric } from '../src/http/metrics.js'
import { createLogger } from '../src/log.js'
import { PostgresStorageAdapter } from '../src/storage/postgres-storage-adapter.js'
import { useTestCluster } from './helpers/cluster.js'
import { openDevice, tokenFor, until, type TestDoc } from './helpers/devices.js'
import { connectRaw } from './helpers/raw-client.js'

const cluster = useTestCluster()

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
process.on('unhandledRejection', onUnhandled)
afterAll(() => void process.off('unhandledRejection', onUnhandled))

interface LogLine {
  readonly msg: string
  readonly kind?: string
  readonly reason?: string
  readonly documentId?: string
  readonly err?: { readonly type?: string }
}

/** Lines a stored document's chunks in PostgreSQL hold (what any other node would load). */
async function storedLines(documentId: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: cluster.pg.url, max: 1 })
  try {
    const storage = new PostgresStorageAdapter(pool, {})
    const chunks = [
      ...(await storage.loadRange([documentId, 'snapshot'])),
      ...(await storage.loadRange([documentId, 'incremental'])),
    ]
    let doc = A.init<TestDoc>()
    for (const { data } of chunks) if (data) doc = A.loadIncremental(doc, data)
    return Object.keys(doc.lines ?? {}).sort()
  } finally {
    await pool.end()
  }
}

test('an embedded cluster node whose write is fenced off logs a typed error, gives the store up, raises no unhandled rejection, and stores the change once it holds the store again', async () => {
  const lines: LogLine[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  const relay = await cluster.node('a', { logger: createLogger('warn', sink) })

  const till = await openDevice(relay.syncUrl, 'till-1', 's1')
  cluster.defer(() => till.close())
  await until(() => till.repo.peers.length > 0, 'till joined node a')
  const order = till.repo.create<TestDoc>({ storeId: 's1', kind: 'order', lines: {} })
  order.change((d) => {
    d.lines.l1 = { item: 'soup', by: 'till-1' }
  })
  await until(async () => (await storedLines(order.documentId)).includes('l1'), 'l1 stored')

  // Another holder takes the store over in PostgreSQL (next fence, unexpired); node a's local
  // lease still looks valid, so it accepts the next change and its write is refused.
  await cluster.pg.query(
    "UPDATE tabsync_leases SET holder = 'b/intruder', fence = fence + 1 WHERE store_id = 's1'",
  )
  order.change((d) => {
    d.lines.l2 = { item: 'bread', by: 'till-1' }
  })
  await until(
    () => lines.some((l) => l.reason === 'lease-lost' && l.documentId === order.documentId),
    'the refused write logged',
  )
  const logged = lines.find((l) => l.reason === 'lease-lost')!
  expect(logged).toMatchObject({ kind: 'storage', err: { type: 'RelayError' } })
  expect(relay.metrics.value(Metric.keptWrites, { reason: 'lease-lost' })).toBeGreaterThan(0)
  expect(relay.cluster?.leases.heldStores()).toEqual([])
  expect(await storedLines(order.documentId)).toEqual(['l1'])
  // Unhandled rejections are reported once the current macrotask is over.
  await new Promise((r) => setTimeout(r, 100))
  expect(unhandled).toEqual([])

  // The intruder lets go; the next device of the store makes node a take it back (fence + 1),
  // and the kept write goes out: the change node a acknowledged is in PostgreSQL.
  await cluster.pg.query("UPDATE tabsync_leases SET expires_at = '-infinity' WHERE store_id = 's1'")
  const next = await connectRaw(relay.syncUrl, await tokenFor('till-2', 's1'))
  expect(next.kind).toBe('open')
  if (next.kind === 'open') cluster.defer(async () => next.socket.close())
  await until(
    async () => (await storedLines(order.documentId)).includes('l2'),
    'the kept write stored after the takeover',
  )
  expect(await storedLines(order.documentId)).toEqual(['l1', 'l2'])
  expect(unhandled).toEqual([])
}, 60_000)
