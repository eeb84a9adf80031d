import type { Pool } from 'pg'

/** Bumped when the tables below change shape; recorded in `tabsync_meta`. */
export const POSTGRES_SCHEMA_VERSION = 1

/** Quotes an SQL identifier (a schema name given in options). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * Creates the relay's tables in `schema` if they are missing. Several nodes start at once in a
 * cluster, and concurrent `CREATE TABLE IF NOT EXISTS` can still fail on the catalog's unique
 * index, so creation runs under a transaction-scoped advisory lock.
 *
 * - `tabsync_chunks`: every storage key (documents' chunks and the relay's own records: ownership,
 *   per-store index), `key` = the key parts joined by U+001F, compared bytewise (`COLLATE "C"`)
 *   so a key prefix is a range scan; `seq` orders chunks by write (rewrites move to the end).
 * - `tabsync_leases`: one row per store: which node serves it until when, and the fencing number
 *   every write for that store is checked against. Rows are never deleted, so fencing numbers
 *   only grow.
 * - `tabsync_write_audit`: with the write audit on, one row per store and fence per committed
 *   write transaction, numbered in commit order for that store (the lease row's lock orders
 *   them): the proof that no two nodes ever wrote for one store at once.
 */
export async function ensurePostgresSchema(pool: Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema)
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tabsync-schema:${schema}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await client.query(`CREATE SEQUENCE IF NOT EXISTS ${s}.tabsync_chunks_seq`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tabsync_chunks (
      key text COLLATE "C" PRIMARY KEY,
      data bytea NOT NULL,
      seq bigint NOT NULL DEFAULT nextval('${s.replace(/'/g, "''")}.tabsync_chunks_seq')
    )`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tabsync_leases (
      store_id text PRIMARY KEY,
      holder text NOT NULL,
      advertise text NOT NULL,
      fence bigint NOT NULL,
      expires_at timestamptz NOT NULL
    )`)
    // Written only by nodes started with the write audit on (a diagnostic, see
    // PostgresStorageOptions.audit); empty otherwise.
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tabsync_write_audit (
      id bigserial PRIMARY KEY,
      store_id text NOT NULL,
      holder text NOT NULL,
      fence bigint NOT NULL,
      writes integer NOT NULL,
      written_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.tabsync_meta (
      name text PRIMARY KEY,
      value text NOT NULL
    )`)
    await client.query(
      `INSERT INTO ${s}.tabsync_meta (name, value) VALUES ('schema_version', $1)
       ON CONFLICT (name) DO NOTHING`,
      [String(POSTGRES_SCHEMA_VERSION)],
    )
    await client.query('COMMIT')
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {})
    throw e
  } finally {
    client.release()
  }
}
