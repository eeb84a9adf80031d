// PostgreSQL restarted under traffic, one relay node (a real process) and two devices of one
// store writing into one order: the node reports not ready and gives the store up, the devices
// keep saving locally, and once PostgreSQL is back every saved line reaches both devices and a
// brand-new one.
import { afterAll, test } from 'vitest'
import { startTestPostgres } from '../../relay/test/helpers/postgres.js'
import { cleanups, runCleanups, step, until } from './cluster-nodes.js'
import { startOneNodeRush } from './one-node-rush.js'

const LEASE_MS = 2000

afterAll(runCleanups)

test('PostgreSQL stopped and started under traffic: the node is not ready meanwhile, devices keep saving, every saved line converges after', async () => {
  const pg = await startTestPostgres()
  cleanups.push(() => pg.destroy())
  const rush = await startOneNodeRush(pg.url, { leaseMs: LEASE_MS })
  const { devices, httpUrl, lines } = rush
  const readyz = async () => (await fetch(`${httpUrl}/readyz`)).status

  await until(() => lines() > 10, 'devices writing')
  step('stopping PostgreSQL')
  await pg.stop()
  await until(async () => (await readyz()) === 503, 'node not ready')
  // The lease runs out locally: the node closes the store's sockets and refuses new ones.
  await until(
    () => devices.every((d) => d.status().state !== 'online'),
    'devices offline (store given up)',
  )
  const during = lines()
  await until(() => lines() > during + 10, 'devices saving locally while PostgreSQL is down')
  step('starting PostgreSQL')
  await pg.start()
  await until(async () => (await readyz()) === 200, 'node ready again')
  await until(() => devices.every((d) => d.status().state === 'online'), 'devices back online')
  const after = lines()
  await until(() => lines() > after + 10, 'devices writing after the restart')
  await rush.stop()

  await rush.expectEveryLineEverywhere()
}, 120_000)
