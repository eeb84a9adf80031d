import { runStorageAdapterTests } from '@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isRelayError } from '../src/errors.js'
import { ensurePostgresSchema } from '../src/storage/postgres-schema.js'
import { PostgresStorageAdapter } from '../src/storage/postgres-storage-adapter.js'
import { startTestPostgres, type TestPostgres } from './helpers/postgres.js'

let server: TestPostgres
let pool: pg.Pool
let schemas = 0

beforeAll(async () => {
  server = await startTestPostgres()
  pool = new pg.Pool({ connectionString: server.url, max: 8 })
}, 60_000)

afterAll(async () => {
  await pool?.end()
  await server?.destroy()
})

/** A fresh schema per test: the acceptance suite expects an empty store each time. */
async function freshSchema(): Promise<string> {
  const schema = `t${++schemas}`
  await ensurePostgresSchema(pool, schema)
  return schema
}

describe('PostgresStorageAdapter', () => {
  runStorageAdapterTests(async () => {
    const schema = await freshSchema()
    return {
      adapter: new PostgresStorageAdapter(pool, { schema }),
      teardown: async () => {
        await pool.query(`DROP SCHEMA ${schema} CASCADE`)
      },
    }
  }, 'PostgresStorageAdapter')

  test('writes issued together land in one batch, last operation on a key winning', async () => {
    const a = new PostgresStorageAdapter(pool, { schema: await freshSchema() })
    const writes = [
      a.save(['d', 'incremental', 'h1'], new Uint8Array([1])),
      a.save(['d', 'incremental', 'h2'], new Uint8Array([2])),
      a.save(['d', 'incremental', 'h1'], new Uint8Array([3])),
      a.remove(['d', 'incremental', 'h2']),
      a.save(['e', 'snapshot', 's'], new Uint8Array([4])),
      a.removeRange(['e']),
      a.save(['e', 'snapshot', 't'], new Uint8Array([5])),
    ]
    await Promise.all(writes)
    expect(await a.loadRange([])).toEqual([
      { key: ['d', 'incremental', 'h1'], data: new Uint8Array([3]) },
      { key: ['e', 'snapshot', 't'], data: new Uint8Array([5]) },
    ])
  })

  test('two adapters writing the same document concurrently keep every chunk', async () => {
    const schema = await freshSchema()
    const a = new PostgresStorageAdapter(pool, { schema })
    const b = new PostgresStorageAdapter(pool, { schema })
    const writes: Promise<void>[] = []
    for (let i = 0; i < 50; i++) {
      writes.push(a.save(['doc', 'incremental', `a${i}`], new Uint8Array([i])))
      writes.push(b.save(['doc', 'incremental', `b${i}`], new Uint8Array([i])))
      // Content-addressed: the same key always carries the same bytes, from either writer.
      writes.push((i % 2 ? a : b).save(['doc', 'incremental', `same${i % 5}`], new Uint8Array([7])))
    }
    await Promise.all(writes)
    const keys = (await a.loadRange(['doc'])).map((c) => c.key[2])
    expect(keys).toHaveLength(105)
    expect(new Set(keys).size).toBe(105)
  })

  test('keys that are prefixes of others and awkward characters stay apart', async () => {
    const a = new PostgresStorageAdapter(pool, { schema: await freshSchema() })
    await a.save(['..'], new Uint8Array([1]))
    await a.save(['a/b', 'c'], new Uint8Array([2]))
    await a.save(['a/b'], new Uint8Array([3]))
    await a.save(['a/bc'], new Uint8Array([4]))
    await a.save(["it's", '%_'], new Uint8Array([5]))
    expect((await a.loadRange(['a/b'])).map((c) => c.key)).toEqual([['a/b', 'c'], ['a/b']])
    expect(await a.load(["it's", '%_'])).toEqual(new Uint8Array([5]))
    await a.removeRange(['a/b'])
    expect((await a.loadRange([])).map((c) => c.key)).toEqual([['..'], ['a/bc'], ["it's", '%_']])
  })

  test('a key part the column cannot hold is refused with a typed error and nothing else is lost', async () => {
    const a = new PostgresStorageAdapter(pool, { schema: await freshSchema() })
    const good = a.save(['ok'], new Uint8Array([1]))
    const bad = a.save(['x\u001fy'], new Uint8Array([2]))
    await expect(bad).rejects.toSatisfy((e) => isRelayError(e, 'invalid-input'))
    await good
    expect(await a.load(['ok'])).toEqual(new Uint8Array([1]))
  })
})
