// Hub chaining: a hub (`serve --upstream`) in front of a cloud relay, both real processes.
import { afterEach, expect, test } from 'vitest'
import {
  findEventually,
  lineCount,
  openDevice,
  tokenFor,
  until,
  type TestDoc,
} from './helpers/devices.js'
import { spawnRelay, tempDir, type RelayProcess, runCleanups } from './helpers/relay-process.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(() => runCleanups(cleanups))

test('documents written through a hub reach the cloud, including everything written while the cloud was down', async () => {
  const cloudData = await tempDir()
  const hubData = await tempDir()
  cleanups.push(cloudData.remove, hubData.remove)
  let cloud: RelayProcess = await spawnRelay(['--port', '0', '--data', cloudData.path])
  cleanups.push(() => cloud.stop())
  const cloudPort = String(cloud.port)
  const hubToken = await tokenFor('hub-1', 'store-a', 'hub')
  const hubArgs = [
    '--port',
    '0',
    '--data',
    hubData.path,
    '--upstream',
    cloud.syncUrl,
    '--upstream-token',
    hubToken,
    '--upstream-retry-max-ms',
    '300',
  ]
  let hub = await spawnRelay(hubArgs)
  cleanups.push(() => hub.stop())
  expect(hub.info.mode).toBe('hub')
  await until(async () => {
    const health = (await (await fetch(`${hub.url}/healthz`)).json()) as {
      upstreamConnected?: boolean
    }
    return health.upstreamConnected === true
  }, 'hub linked upstream')

  // A till on the hub's LAN writes an order.
  const till = await openDevice(hub.syncUrl, 'till-1', 'store-a')
  cleanups.push(() => till.close())
  const order = till.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  order.change((d) => {
    d.lines.l1 = { item: 'soup', by: 'till-1' }
  })

  // A back-office device on the cloud sees it.
  const office = await openDevice(cloud.syncUrl, 'office-1', 'store-a')
  cleanups.push(() => office.close())
  const seen = await findEventually(office.repo, order.url, 'order on the cloud')
  await until(() => lineCount(seen) === 1, 'cloud has the first line')
  await office.close()

  // Cut the upstream: the cloud goes away. The LAN keeps working through the hub.
  expect(await cloud.stop('SIGTERM')).toBe(0)
  await until(async () => {
    const health = (await (await fetch(`${hub.url}/healthz`)).json()) as {
      upstreamConnected?: boolean
    }
    return health.upstreamConnected === false
  }, 'hub notices the cut')
  for (let i = 2; i <= 10; i++) {
    order.change((d) => {
      d.lines[`l${i}`] = { item: `dish-${i}`, by: 'till-1' }
    })
  }
  // A second order created during the outage.
  const second = till.repo.create<TestDoc>({ kind: 'order', storeId: 'store-a', lines: {} })
  second.change((d) => {
    d.lines.x1 = { item: 'tea', by: 'till-1' }
  })
  const lanPeer = await openDevice(hub.syncUrl, 'till-2', 'store-a')
  cleanups.push(() => lanPeer.close())
  const onLan = await findEventually(lanPeer.repo, second.url, 'second order on the LAN')
  await until(() => lineCount(onLan) === 1, 'LAN peer sees the outage order')
  await till.repo.flush()
  // The till leaves: what the cloud gets next must come from the hub alone.
  await till.close()
  await lanPeer.close()

  // The hub restarts during the outage: nothing is in its memory any more, so what reaches the
  // cloud next comes from the hub's storage (it pushes every document of its store on link-up).
  expect(await hub.stop('SIGTERM')).toBe(0)
  hub = await spawnRelay(hubArgs)

  // The cloud comes back on the same address and gets everything.
  cloud = await spawnRelay(['--port', cloudPort, '--data', cloudData.path])
  const office2 = await openDevice(cloud.syncUrl, 'office-2', 'store-a')
  cleanups.push(() => office2.close())
  const first = await findEventually(office2.repo, order.url, 'first order after the outage')
  await until(() => lineCount(first) === 10, 'cloud has all 10 lines of the first order')
  const secondOnCloud = await findEventually(office2.repo, second.url, 'outage order on the cloud')
  await until(() => lineCount(secondOnCloud) === 1, 'cloud has the order created during the outage')
  expect(secondOnCloud.doc().storeId).toBe('store-a')
}, 90_000)
