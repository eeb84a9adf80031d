// Table-day documents through a real relay (issue 15): a store opts in mid-life, a new device
// reads the day from the table-days with no table document on the way to the open checks, and a
// check a till of the previous version filed in a table document meanwhile is listed, copied
// into its table-day, and that table retired so that such a till stops writing there.
import * as A from '@automerge/automerge'
import type { AutomergeUrl, DocumentId } from '@automerge/automerge-repo/slim'
import {
  addLine,
  isTabsyncError,
  openOrder,
  startTableDays,
  tableDayOrders,
  type OrderDoc,
  type StoreDoc,
  type TableDoc,
} from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import {
  assertWritable,
  MIGRATIONS,
  migrationRegistry,
  schemaOf,
  text,
} from '@tabsync/core/internal'
import { afterEach, expect, test } from 'vitest'
import type { Device } from '../src/index.js'
import { tableDayOn } from './day-refs.js'
import { relayWithOffice, statusUntil } from './store-devices.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function eventually(ok: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`never: ${what}`)
}

const idOf = (url: string) => url.slice('automerge:'.length) as DocumentId

/** The tills of the version before table-days: no table schema step. */
const PREVIOUS = migrationRegistry(MIGRATIONS.steps.filter((s) => s.kind !== 'table'))

test('a store that opts in: a new device reads the day from its table-days first, and a check an older till filed in a table is listed, copied into its table-day and the table retired', async () => {
  const { open, office } = await relayWithOffice(cleanups)
  // A store of the previous version, then the manager opts it in from today.
  const { storeUrl } = await office.createStore({
    ...demoStoreInit('store-1', () => ''),
    tables: DEMO_TABLES,
    tableDaysFrom: null,
  })
  const today = office.businessDate()
  await office.run<boolean, StoreDoc>(storeUrl, (s) => startTableDays(s, today))
  expect(office.store().tableDaysFrom).toBe(today)
  const mine = await office.openOrder('t4')
  await office.run(mine.url, (doc, ctx) => addLine(doc, ctx, { itemId: 'soup' }))
  // A till of the previous version, not updated yet, opens a check on t5 as it always did: an
  // order document and a reference in the table document's `orders` only.
  const t5 = office.store().tables['t5']!.url as AutomergeUrl
  const old = openOrder(office.context(), { tableId: 't5' })
  const oldOrder = office.repo.create<OrderDoc>(old.doc)
  const t5Handle = await office.repo.find<TableDoc>(t5)
  expect(() => assertWritable(t5Handle.doc(), PREVIOUS)).not.toThrow() // not retired yet
  t5Handle.change((t) => {
    const str = (v: string) => new A.ImmutableString(v)
    ;(t.orders as Record<string, unknown>)[old.orderId] = {
      orderId: str(old.orderId),
      url: str(oldOrder.url),
      businessDate: str(old.businessDate),
      openedAt: str(old.openedAt),
      openedBy: str('till-old'),
    }
  })
  await office.flush()
  await statusUntil(office, (s) => s.unsynced === 0)

  // A new device: the debug phases record whether any table document was open by then.
  const tableIds = Object.values(office.store().tables).map((t) => idOf(t.url))
  const phases: { phase: string; tablesOpen: number }[] = []
  const holder: { till?: Device } = {}
  const debug = (fields: object) => {
    const phase = (fields as { phase?: string }).phase
    const d = holder.till
    if (phase && d) {
      phases.push({ phase, tablesOpen: tableIds.filter((id) => d.repo.handles[id]).length })
    }
  }
  const noop = () => undefined
  const till = await open('till-2', {
    storeUrl,
    logger: { debug, info: noop, warn: noop, error: noop },
  })
  holder.till = till
  await till.ready()
  const day = await till.loadDay(today)
  expect(day.missing).toEqual([])
  // Both checks: the table-day's, and the one only the older till's table document lists.
  expect(day.orders.map((o) => o.url).sort()).toEqual([mine.url, oldOrder.url].sort())
  // The open checks were usable before any table document was even asked for.
  const firstOpened = phases.find((p) => p.phase === 'first-opened')
  expect(firstOpened?.tablesOpen).toBe(0)

  // The older till's reference is copied into t5's table-day, and t5 is retired: a till of the
  // previous version refuses to write it ("update this device"); both versions still read it.
  const t5Day = await tableDayOn(till, 't5')
  await eventually(
    () => tableDayOrders(t5Day.doc()).some((h) => h.ref.orderId === old.orderId),
    'the older till’s check copied into its table-day',
  )
  const retired = await till.repo.find<TableDoc>(t5)
  await eventually(() => schemaOf(retired.doc()) === 2, 't5 retired')
  let error: unknown
  try {
    assertWritable(retired.doc(), PREVIOUS)
  } catch (e) {
    error = e
  }
  expect(isTabsyncError(error, 'newer-schema')).toBe(true)
  expect(text(retired.doc().orders[old.orderId]?.url)).toBe(oldOrder.url)
  // And the relay has both (another device gets them).
  await statusUntil(till, (s) => s.unsynced === 0)
  const onOffice = await tableDayOn(office, 't5')
  await eventually(
    () => tableDayOrders(onOffice.doc()).some((h) => h.ref.orderId === old.orderId),
    'the copy reaches the other devices',
  )
})
