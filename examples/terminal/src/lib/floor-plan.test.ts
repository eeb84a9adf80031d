import * as A from '@automerge/automerge'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import {
  addLine,
  closeOrder,
  createHybridClock,
  decode,
  digestOrder,
  fire,
  initStoreDoc,
  newId,
  openOrder,
  summarizeOrder,
  takePayment,
  voidLine,
  type CommandContext,
  type OrderDoc,
  type StoreData,
} from '@tabsync/core'
import { demoStoreInit } from '@tabsync/core/demo'
import { expect, test } from 'vitest'
import { floorOrderOfDigest, floorOrderOfSummary, floorPlan, floorTables } from './floor-plan.js'

const store = decode<StoreData>(initStoreDoc(demoStoreInit('store-1', (t) => `automerge:${t}`)))
let wall = Date.UTC(2026, 11, 3, 18, 0)
const ctx: CommandContext = {
  deviceId: 'till-1',
  clock: createHybridClock({ node: 'till-1', wallClock: () => (wall += 1000) }),
  store,
}

/** An order on `tableId` after `commands`, as an Automerge document. */
function order(tableId: string, ...commands: ((doc: OrderDoc) => void)[]): OrderDoc {
  let doc = A.from(
    openOrder(ctx, { tableId, guests: 3 }).doc as unknown as Record<string, unknown>,
  ) as unknown as OrderDoc
  for (const command of commands) doc = A.change(doc, command)
  return doc
}

const lineOf = (doc: OrderDoc) => Object.keys(summarizeOrder(doc).order.lines)[0]!

test('the floor drawn from digests is the floor drawn from summaries: states, totals, guests, open checks', () => {
  const docs: [AutomergeUrl, OrderDoc][] = []
  // Open; fired with a voided line; part paid; closed (off the floor); two checks on one table.
  docs.push([
    'automerge:a' as AutomergeUrl,
    order('t1', (d) => void addLine(d, ctx, { itemId: 'soup' })),
  ])
  let fired = order('t2', (d) => void addLine(d, ctx, { itemId: 'soup', quantity: 2 }))
  fired = A.change(fired, (d) => void addLine(d, ctx, { itemId: 'soup' }))
  fired = A.change(fired, (d) => void fire(d, ctx))
  fired = A.change(fired, (d) => void voidLine(d, ctx, { lineId: lineOf(fired), reason: 'spilt' }))
  docs.push(['automerge:b' as AutomergeUrl, fired])
  docs.push([
    'automerge:c' as AutomergeUrl,
    order(
      't3',
      (d) => void addLine(d, ctx, { itemId: 'soup' }),
      (d) => void takePayment(d, ctx, { key: newId(), tender: 'cash', amount: 100 }),
    ),
  ])
  let closed = order('t4', (d) => void addLine(d, ctx, { itemId: 'soup' }))
  const balance = summarizeOrder(closed).totals.balance
  closed = A.change(
    closed,
    (d) => void takePayment(d, ctx, { key: newId(), tender: 'card', amount: balance }),
  )
  closed = A.change(closed, (d) => void closeOrder(d, ctx))
  docs.push(['automerge:d' as AutomergeUrl, closed])
  docs.push(['automerge:e' as AutomergeUrl, order('t5')])
  docs.push([
    'automerge:f' as AutomergeUrl,
    order('t5', (d) => void addLine(d, ctx, { itemId: 'soup' })),
  ])

  const summaries = docs.map(([url, doc]) => [url, summarizeOrder(doc)] as const)
  const fromSummaries = summaries.map(([url, s]) => [url, floorOrderOfSummary(s)] as const)
  const fromDigests = summaries.map(
    ([url, s]) => [url, floorOrderOfDigest(digestOrder(s))] as const,
  )

  expect(fromDigests).toEqual(fromSummaries)
  const plan = floorPlan(store, floorTables(store, fromDigests))
  expect(plan).toEqual(floorPlan(store, floorTables(store, fromSummaries)))
  const tile = (id: string) => plan.flatMap((a) => a.tiles).find((t) => t.id === id)
  expect([tile('t1')?.state, tile('t2')?.state, tile('t3')?.state, tile('t4')?.state]).toEqual([
    'open',
    'fired',
    'payment',
    'free',
  ])
  expect(tile('t5')?.openCount).toBe(2)
  expect(tile('t1')?.guests).toBe(3)
  // The voided line still counts among the check's lines, as on its summary.
  expect(fromDigests[1]?.[1].lines).toBe(2)
})
