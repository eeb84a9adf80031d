// Child process: the terminal's demo server as `npm start` runs it (relay, pairing, /time, print
// bridge, the built terminal from examples/terminal/dist), on port 0 with a fresh data
// directory, and a store with open checks seeded by a back-office device over the relay.
import { DEMO_TABLES, addLine, fire } from '@tabsync/core'
import { openDevice } from '@tabsync/sync'
import { startDemoServer } from '../../../examples/terminal/server/demo-server.js'
import { lineInput } from '../fixtures/orders.js'
import { serve } from './serve.js'

const dataDir = process.env['TABSYNC_BENCH_DIR']
const distDir = process.env['TABSYNC_BENCH_DIST']
const openChecks = Number(process.env['TABSYNC_BENCH_OPEN_CHECKS'] ?? '15')
if (!dataDir || !distDir) throw new Error('TABSYNC_BENCH_DIR and TABSYNC_BENCH_DIST are required')
if (openChecks > DEMO_TABLES.length) throw new Error(`at most ${DEMO_TABLES.length} open checks`)

const storeId = 'bench-bistro'
const server = await startDemoServer({
  port: 0,
  distDir,
  dataDir,
  stores: [{ storeId, name: 'Bench Bistro' }],
})

// The checks a terminal of this store shows on its floor: one per table, 3-6 lines, every other
// one fired (the kitchen state shows on the floor too). Seeded on request, after `ready`: on a
// busy machine it takes longer than a child's start deadline.
async function seed(): Promise<Record<string, unknown>> {
  const office = await openDevice({
    deviceId: 'bench-office',
    storeUrl: server.stores[storeId] as NonNullable<(typeof server.stores)[string]>,
    token: await server.backend.issueToken('bench-office', storeId),
    endpoints: [{ url: server.backend.relay.syncUrl, kind: 'relay' }],
    storage: 'memory',
  })
  await office.ready()
  for (const [i, table] of DEMO_TABLES.slice(0, openChecks).entries()) {
    const { url } = await office.openOrder(table.id, { guests: 2 + (i % 3) })
    for (let l = 0; l < 3 + (i % 4); l++) {
      await office.run(url, (d, ctx) => addLine(d, ctx, lineInput(l)))
    }
    if (i % 2 === 0) await office.run(url, (d, ctx) => fire(d, ctx))
  }
  // Everything confirmed by the relay before any terminal opens.
  for (let i = 0; office.status().unsynced > 0; i++) {
    if (i > 1200) throw new Error('the seeded checks did not reach the relay in 120 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  await office.close()
  return { openChecks }
}

serve({ seed }, { url: server.url, storeId }, () => server.close())
