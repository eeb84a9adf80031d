// A LAN device asks the hub for a document the hub has never seen: the hub fetches it from the
// upstream relay (in process: both relays here, real sockets).
import { afterEach, expect, test } from 'vitest'
import { startRelay } from '../src/server.js'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDoc,
} from './helpers/devices.js'
import { runCleanups, tempDir, TEST_SECRET } from './helpers/relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

test('a new hub serves its LAN documents it only has upstream, and nothing of other stores', async () => {
  const cloudDir = await tempDir()
  const hubDir = await tempDir()
  cleanups.push(cloudDir.remove, hubDir.remove)
  const cloud = await startRelay({
    port: 0,
    dataDir: cloudDir.path,
    secret: TEST_SECRET,
    allowQueryToken: true,
  })
  cleanups.push(() => cloud.close())

  // The back office created the store document through the cloud.
  const office = await openDevice(cloud.syncUrl, 'office-1', 'store-a')
  cleanups.push(() => office.close())
  const storeDoc = office.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  storeDoc.change((d) => {
    d.lines.menu = { item: 'menu', by: 'office-1' }
  })
  const witness = await openDevice(cloud.syncUrl, 'office-2', 'store-a')
  cleanups.push(() => witness.close())
  const onCloud = await findEventually(witness.repo, storeDoc.url, 'store doc on the cloud')
  await until(() => lineCount(onCloud) === 1, 'cloud holds the store doc')

  // A fresh hub, then a till on its LAN asking for the store document.
  const hub = await startRelay({
    port: 0,
    dataDir: hubDir.path,
    secret: TEST_SECRET,
    allowQueryToken: true,
    upstream: { url: cloud.syncUrl, token: await tokenFor('hub-1', 'store-a', 'hub') },
  })
  cleanups.push(() => hub.close())
  expect(hub.mode).toBe('hub')
  const till = await openDevice(hub.syncUrl, 'till-1', 'store-a')
  cleanups.push(() => till.close())
  const onTill = await findEventually(till.repo, storeDoc.url, 'store doc through the hub')
  await until(() => lineCount(onTill) === 1, 'till has the store doc')
  expect(hub.registry.peek(storeDoc.documentId)).toMatchObject({
    state: 'owned',
    storeId: 'store-a',
  })

  // A device of another store on the same hub gets nothing.
  const other = await openDevice(hub.syncUrl, 'b-till', 'store-b')
  cleanups.push(() => other.close())
  await until(() => other.repo.peers.length > 0, 'store-b device connected')
  await expect(other.repo.find<TestDoc>(storeDoc.url)).rejects.toThrow(/unavailable/)
})
