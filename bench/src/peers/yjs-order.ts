// The same order shape in Yjs, for context: entry maps keyed by id, lines as nested maps.
// Yjs has no counter type: a quantity is a plain number (concurrent +1s do not add up there).
import * as Y from 'yjs'
import { newId, type CommandContext } from '@tabsync/core'
import { lineInput } from '../fixtures/orders.js'

const ENTRY_MAPS = [
  'lines',
  'voids',
  'adjustments',
  'tickets',
  'prints',
  'payments',
  'closes',
] as const

/** A new order document with the same root fields and entry maps as core's. */
export function newYOrder(ctx: CommandContext, tableId = 't5'): Y.Doc {
  const doc = new Y.Doc()
  doc.transact(() => {
    const root = doc.getMap('order')
    root.set('schema', 1)
    root.set('kind', 'order')
    root.set('storeId', ctx.store.storeId)
    root.set('orderId', newId())
    root.set('tableId', tableId)
    root.set('openedAt', ctx.clock.now())
    root.set('openedBy', ctx.deviceId)
    root.set('guests', 4)
    root.set('note', '')
    for (const m of ENTRY_MAPS) root.set(m, new Y.Map())
  })
  return doc
}

function lines(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap('order').get('lines') as Y.Map<Y.Map<unknown>>
}

/** Adds the i-th line (same fields as core's Line) in one transaction; returns its id. */
export function yTapLine(doc: Y.Doc, ctx: CommandContext, i: number): string {
  const input = lineInput(i)
  const item = ctx.store.items[input.itemId]
  if (!item) throw new Error(`unknown item ${input.itemId}`)
  const tax = ctx.store.taxRates[item.taxRateId]
  const id = newId()
  doc.transact(() => {
    const line = new Y.Map<unknown>()
    lines(doc).set(id, line)
    line.set('id', id)
    line.set('itemId', item.id)
    line.set('name', item.name)
    line.set('categoryId', item.categoryId)
    line.set('station', item.station)
    line.set('unitPrice', item.price)
    line.set('modifiers', new Y.Array())
    line.set('taxRateId', item.taxRateId)
    line.set('taxBasisPoints', tax?.basisPoints ?? 0)
    line.set('taxInclusive', tax?.inclusive ?? true)
    line.set('quantity', 1)
    line.set('seat', input.seat ?? null)
    line.set('course', item.course)
    line.set('note', input.note ?? '')
    line.set('at', ctx.clock.now())
    line.set('by', ctx.deviceId)
  })
  return id
}

/** Changes a line's quantity (read, add, write: Yjs has no counter). */
export function yTapQuantity(doc: Y.Doc, lineId: string, delta: number): void {
  doc.transact(() => {
    const line = lines(doc).get(lineId)
    if (!line) throw new Error(`unknown line ${lineId}`)
    line.set('quantity', (line.get('quantity') as number) + delta)
  })
}

/** An order with `n` lines, one transaction each. */
export function yOrderWithLines(
  ctx: CommandContext,
  n: number,
  doc = newYOrder(ctx),
): [Y.Doc, string[]] {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push(yTapLine(doc, ctx, i))
  return [doc, ids]
}
