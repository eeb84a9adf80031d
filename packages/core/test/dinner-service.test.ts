import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import {
  addLine,
  closeOrder,
  fire,
  newId,
  openOrder,
  salesReport,
  splitCheck,
  summarizeOrder,
  takePayment,
  type OrderDoc,
  readOrder,
} from '../src/index.js'
import { device, replica } from './helpers.js'

test('a table of two orders, fires, splits by seat, pays and closes; the report adds up', () => {
  const till = device('till-1')

  // 19:00 Table 4 sits down.
  const opened = openOrder(till, { tableId: 't4', guests: 2 })
  const table4 = replica(
    A.from(opened.doc as unknown as Record<string, unknown>) as unknown as OrderDoc,
  )

  // Drinks first, then food for each seat.
  const lineIds = table4.run((d) => [
    addLine(d, till, { itemId: 'spritz', seat: 1 }),
    addLine(d, till, { itemId: 'beer', seat: 2 }),
    addLine(d, till, {
      itemId: 'burger',
      seat: 1,
      modifiers: [
        { groupId: 'cooking', optionId: 'medium' },
        { groupId: 'burger-extra', optionId: 'cheese' },
      ],
    }),
    addLine(d, till, {
      itemId: 'steak',
      seat: 2,
      modifiers: [{ groupId: 'cooking', optionId: 'rare' }],
    }),
    addLine(d, till, { itemId: 'fries' }),
  ])
  expect(lineIds).toHaveLength(5)

  // Fire everything: one ticket for the bar, one for the kitchen.
  const tickets = table4.run((d) => fire(d, till))
  expect(tickets).toHaveLength(2)
  let s = summarizeOrder(table4.doc)
  expect(s.status.status).toBe('fired')
  expect(s.lines.every((l) => l.unfired === 0)).toBe(true)
  // 900 + 600 + 1690 + 150 + 2890 + 450 = 6680, VAT inclusive.
  expect(s.totals.total).toBe(6680)

  // Split by seat: the shared fries are halved.
  table4.run((d) => splitCheck(d, till, { mode: 'seat' }))
  s = summarizeOrder(table4.doc)
  expect(s.totals.checks.map((c) => c.total)).toEqual([900 + 1690 + 150 + 225, 600 + 2890 + 225])

  // Seat 1 pays cash with a tip, seat 2 by card.
  const [c1, c2] = s.totals.checks
  table4.run((d) =>
    takePayment(d, till, {
      key: newId(),
      tender: 'cash',
      amount: c1!.total,
      tip: 200,
      tendered: 3500,
      check: 1,
    }),
  )
  table4.run((d) =>
    takePayment(d, till, { key: newId(), tender: 'card', amount: c2!.total, check: 2 }),
  )
  s = summarizeOrder(table4.doc)
  expect(s.totals.balance).toBe(0)
  expect(s.totals.change).toBe(3500 - c1!.total - 200)
  expect(s.status.status).toBe('paid')

  table4.run((d) => closeOrder(d, till))
  s = summarizeOrder(table4.doc)
  expect(s.status.status).toBe('closed')

  const report = salesReport([readOrder(table4.doc)], till.store, opened.businessDate)
  expect(report.total).toBe(6680)
  expect(report.paid).toBe(6680)
  expect(report.tips).toBe(200)
  expect(report.byTender['cash']?.amount).toBe(c1!.total)
  expect(report.byCategory['mains']?.amount).toBe(1690 + 150 + 2890)
  expect(report.openChecks).toEqual([])
  expect(Object.keys(report.completeness)).toEqual(['till-1'])
})
