import { join } from 'node:path'
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { FileStorageAdapter } from '../src/storage/file-storage-adapter.js'
import type { DeviceRole } from '@tabsync/core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { findEventually, openDevice, until, type TestDevice } from './helpers/devices.js'
import { runCleanups, spawnRelay, tempDir, type RelayProcess } from './helpers/relay-process.js'

// Every role tries every kind of write against a real relay process; only its own land. The
// documents follow core's layout (root `kind`, entry maps keyed by id); a back-office device
// creates them and is the witness: whatever it sees went through the relay.

interface Doc {
  kind: string
  storeId: string
  [entryMap: string]: Record<string, unknown> | string
}

const WRITES = {
  'order line': (d: Docs, who: string) => ({ url: d.order, key: 'lines', id: `${who}-line` }),
  'order bump': (d: Docs, who: string) => ({ url: d.order, key: 'bumps', id: `${who}-bump` }),
  'order print record': (d: Docs, who: string) => ({
    url: d.order,
    key: 'prints',
    id: `${who}-print`,
  }),
  'table order reference': (d: Docs, who: string) => ({
    url: d.table,
    key: 'orders',
    id: `${who}-ref`,
  }),
  'store configuration': (d: Docs, who: string) => ({
    url: d.store,
    key: 'items',
    id: `${who}-item`,
  }),
  'store device entry (its own)': (d: Docs, who: string) => ({
    url: d.store,
    key: 'devices',
    id: who,
  }),
} as const
type WriteKind = keyof typeof WRITES | 'new order'

const EXPECTED: Record<DeviceRole, readonly WriteKind[]> = {
  terminal: [
    'order line',
    'order bump',
    'order print record',
    'table order reference',
    'store device entry (its own)',
    'new order',
  ],
  kitchen: ['order bump'],
  printer: ['order bump', 'order print record'],
  hub: [...(Object.keys(WRITES) as WriteKind[]), 'new order'],
  backoffice: [...(Object.keys(WRITES) as WriteKind[]), 'new order'],
}

interface Docs {
  readonly store: AutomergeUrl
  readonly table: AutomergeUrl
  readonly order: AutomergeUrl
}

let relay: RelayProcess
let relayStorage: FileStorageAdapter
let office: TestDevice
let docs: Docs
let handles: Record<keyof Docs, DocHandle<Doc>>
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  const dir = await tempDir()
  cleanups.push(dir.remove)
  relay = await spawnRelay(['--port', '0', '--data', dir.path])
  relayStorage = new FileStorageAdapter(join(dir.path, 'repo'))
  cleanups.push(() => relay.stop())
  office = await openDevice(relay.syncUrl, 'office-1', 'store-a', undefined, 'backoffice')
  cleanups.push(() => office.close())
  const create = (doc: Doc): DocHandle<Doc> => office.repo.create<Doc>(doc)
  handles = {
    store: create({ kind: 'store', storeId: 'store-a', items: {}, devices: {} }),
    table: create({ kind: 'table', storeId: 'store-a', orders: {} }),
    order: create({
      kind: 'order',
      storeId: 'store-a',
      lines: {},
      bumps: {},
      prints: {},
      tickets: { t1: { station: 'grill' } },
    }),
  }
  docs = { store: handles.store.url, table: handles.table.url, order: handles.order.url }
  await until(async () => (await metric(relay, 'tabsync_relay_ownership_cached')) >= 3, 'owned')
}, 60_000)

afterAll(() => runCleanups(cleanups))

async function metric(r: RelayProcess, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `))
  return line ? Number(line.split(' ')[1]) : 0
}

/** Makes one write; resolves to a probe telling whether it reached the relay (and the witness). */
async function attempt(repo: Repo, who: string, kind: WriteKind): Promise<() => Promise<boolean>> {
  if (kind === 'new order') {
    const h = repo.create<Doc>({ kind: 'order', storeId: 'store-a', lines: { x: { by: who } } })
    // Content in the relay's own storage (its ownership claim record lives under other keys).
    return async () =>
      (await relayStorage.loadRange([h.documentId])).some(
        (c) => c.key[1] === 'snapshot' || c.key[1] === 'incremental',
      )
  }
  const w = WRITES[kind](docs, who)
  const handle = await findEventually(repo, w.url, `${who}: ${w.key}`)
  ;(handle as unknown as DocHandle<Doc>).change((d) => {
    const map = d[w.key]
    if (typeof map === 'object') map[w.id] = { by: who, at: 1 }
  })
  const target = Object.values(handles).find((h) => h.url === w.url)!
  return () => {
    const map = target.doc()[w.key]
    return Promise.resolve(typeof map === 'object' && map[w.id] !== undefined)
  }
}

for (const role of Object.keys(EXPECTED) as DeviceRole[]) {
  test(`a ${role} device's writes land only where its role may write`, async () => {
    const kinds = [...(Object.keys(WRITES) as WriteKind[]), 'new order' as const]
    const before = await metric(relay, 'tabsync_relay_denials_total', '{reason="forbidden-change"}')
    const devices: TestDevice[] = []
    try {
      const landed = await Promise.all(
        kinds.map(async (kind, i) => {
          const who = `${role}-${i}`
          const device = await openDevice(relay.syncUrl, who, 'store-a', undefined, role)
          devices.push(device)
          return { kind, landed: await attempt(device.repo, who, kind) }
        }),
      )
      const allowed = landed.filter((l) => EXPECTED[role].includes(l.kind))
      const refused = landed.filter((l) => !EXPECTED[role].includes(l.kind))
      // Every allowed write reaches the witness, and every refused one was closed with 4006.
      let missing: string[] = []
      await until(async () => {
        const seen = await Promise.all(allowed.map((l) => l.landed()))
        missing = allowed.filter((_, i) => !seen[i]).map((l) => l.kind)
        return missing.length === 0
      }, `${role}: allowed writes`).catch((e: unknown) => {
        throw new Error(`${String(e)}; not landed: ${missing.join(', ')}\n${relay.stderr()}`)
      })
      await until(
        async () =>
          (await metric(relay, 'tabsync_relay_denials_total', '{reason="forbidden-change"}')) -
            before >=
          refused.length,
        `${role}: ${refused.length} refusals counted`,
      )
      // Both barriers passed: refused writes had every chance to arrive, and none did.
      const outcome = await Promise.all(landed.map(async (l) => ((await l.landed()) ? l.kind : '')))
      expect(outcome.filter(Boolean)).toEqual(kinds.filter((k) => EXPECTED[role].includes(k)))
    } finally {
      await Promise.all(devices.map((d) => d.close()))
    }
  }, 90_000)
}

test('a refused write is logged with the device, role, document and the paths it touched', () => {
  const lines = relay
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"reason":"forbidden-change"'))
  expect(lines.length).toBeGreaterThan(0)
  const printer = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['role'] === 'printer')
  expect(printer).toMatchObject({
    code: 4006,
    refusal: expect.any(String),
    documentId: expect.any(String),
  })
})
