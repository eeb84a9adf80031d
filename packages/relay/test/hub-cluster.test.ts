// A hub whose upstream is a relay cluster, all real processes on a real PostgreSQL: pointed at a
// node that does not serve its store, the hub follows `moved` (4300) to the owner; when the owner
// is killed (kill -9) it fails over along its list of upstream URLs to the node that takes over.
import { expect, test } from 'vitest'
import { useTestCluster } from './helpers/cluster.js'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDoc,
} from './helpers/devices.js'
import { spawnRelay, tempDir, type RelayProcess } from './helpers/relay-process.js'

const LEASE_MS = 1500
const cluster = useTestCluster()
const node = (nodeId: string) => cluster.nodeProcess(nodeId, { leaseMs: LEASE_MS })

async function upstreamConnected(hub: RelayProcess): Promise<boolean> {
  const health = (await (await fetch(`${hub.url}/healthz`)).json()) as {
    upstreamConnected?: boolean
  }
  return health.upstreamConnected === true
}

test('a hub pointed at a node that does not serve its store follows moved to the owner, and fails over along its upstream list when the owner dies', async () => {
  const n1 = await node('n1')
  const n2 = await node('n2')

  // A back-office device on n1: n1 takes store-a's lease.
  const office = await openDevice(n1.syncUrl, 'office-1', 'store-a', undefined, 'backoffice')
  cluster.defer(() => office.close())
  await until(() => office.repo.peers.length > 0, 'office joined on n1')
  expect(
    (
      await cluster.pg.query("SELECT holder FROM tabsync_leases WHERE store_id = 'store-a'")
    )[0]?.[0],
  ).toMatch(/^n1\//)

  // The hub knows n2 first: n2 sends it to n1.
  const hubData = await tempDir()
  cluster.defer(hubData.remove)
  const hub = await spawnRelay(
    [
      '--port',
      '0',
      '--data',
      hubData.path,
      '--upstream',
      n2.syncUrl,
      '--upstream',
      n1.syncUrl,
      '--upstream-token',
      await tokenFor('hub-1', 'store-a', 'hub'),
      '--upstream-retry-max-ms',
      '300',
    ],
    { TABSYNC_RELAY_LOG: 'info' },
  )
  cluster.defer(() => hub.stop())
  await until(() => upstreamConnected(hub), 'hub linked upstream')

  // A till on the hub's LAN writes; the office on n1 sees it: the hub's link is on the owner.
  const till = await openDevice(hub.syncUrl, 'till-1', 'store-a')
  cluster.defer(() => till.close())
  const order = till.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  order.change((d) => {
    d.lines.l1 = { item: 'soup', by: 'till-1' }
  })
  const onN1 = await findEventually(office.repo, order.url, 'order on n1')
  await until(() => lineCount(onN1) === 1, 'n1 has the first line')
  await office.close()

  // The owner dies. The hub's redial of n1 fails, it moves on to n2, which takes the store over
  // once the lease expired and gets what the till writes meanwhile.
  await n1.stop('SIGKILL')
  for (let i = 2; i <= 5; i++) {
    order.change((d) => {
      d.lines[`l${i}`] = { item: `dish-${i}`, by: 'till-1' }
    })
  }
  await until(
    async () =>
      (await upstreamConnected(hub)) &&
      /^n2\//.test(
        (
          await cluster.pg.query("SELECT holder FROM tabsync_leases WHERE store_id = 'store-a'")
        )[0]?.[0] ?? '',
      ),
    'hub linked to n2, which holds store-a',
  )
  const office2 = await openDevice(n2.syncUrl, 'office-2', 'store-a', undefined, 'backoffice')
  cluster.defer(() => office2.close())
  const onN2 = await findEventually(office2.repo, order.url, 'order on n2')
  await until(() => lineCount(onN2) === 5, 'n2 has every line, through the hub')
  // The first link went to n1 because n2 said so (not by trying the next URL of the list).
  expect(hub.stderr()).toContain('upstream moved: following to the store owner')
}, 120_000)
