import * as A from '@automerge/automerge'
import { addLine, isTabsyncError, readOrder, type OrderDoc } from '@tabsync/core'
import {
  CURRENT_SCHEMA,
  MIGRATIONS,
  migrate,
  migrationRegistry,
  schemaOf,
} from '@tabsync/core/internal'
import { afterEach, expect, test, vi } from 'vitest'
import { advance, createCluster, drive, useSimTime } from './cluster.js'

afterEach(() => {
  vi.useRealTimers()
})

/** The next version's order schema: one more entry kind this version does not know. */
const NEXT = migrationRegistry([
  ...MIGRATIONS.steps,
  {
    kind: 'order',
    from: CURRENT_SCHEMA.order,
    to: CURRENT_SCHEMA.order + 1,
    description: 'extras',
    adds: ['extras'],
    apply: (root) => {
      root['extras'] = {}
    },
  },
])

test('a till keeps syncing an order a newer version changed, shows it read-only, and refuses to write into it', async () => {
  useSimTime()
  const c = await createCluster({ seed: 3, devices: 2 })
  const [a, b] = c.slots.map((s) => s.device)
  const { url } = await drive(a!.openOrder('t4', { guests: 2 }))
  await drive(a!.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' })))
  await advance(2000)

  // A device of the next version (here: the relay's copy, as if written through it) migrates
  // the order and adds an entry of a kind this version does not know.
  const upgraded = await drive(c.relay.repo.find<OrderDoc>(url))
  upgraded.update((d) => migrate(d, NEXT))
  upgraded.change((d) => {
    ;(d as unknown as { extras: Record<string, unknown> }).extras['x1'] = { amount: 300 }
  })
  await advance(2000)

  const summary = await drive(b!.orderSummary(url))
  expect(summary.newer).toEqual({ keys: ['extras'], entries: 1 })
  expect(summary.status.status).toBe('needs-attention')
  expect(summary.order.schema).toBe(CURRENT_SCHEMA.order + 1)

  const handle = await drive(b!.repo.find<OrderDoc>(url))
  const heads = handle.heads()
  let error: unknown
  try {
    await drive(b!.run(url, (doc, ctx) => addLine(doc, ctx, { itemId: 'beer' })))
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'newer-schema')).toBe(true)
  expect(handle.heads()).toEqual(heads)
  // The newer entry is kept and forwarded untouched: the other till has it too.
  const onA = await drive(a!.repo.find<OrderDoc>(url))
  expect(schemaOf(onA.doc())).toBe(CURRENT_SCHEMA.order + 1)
  expect(Object.keys((A.toJS(onA.doc()) as { extras?: object }).extras ?? {})).toEqual(['x1'])
  expect(Object.keys(readOrder(onA.doc()).lines)).toHaveLength(1)
  await c.close()
})
