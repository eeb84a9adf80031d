import { expect, test } from 'vitest'
import type { Ticket } from '@tabsync/core'
import { decodeEscPos, tidyText } from '../src/escpos/decode-escpos.js'
import { renderTicket, ticketRef } from '../src/escpos/render-ticket.js'
import { parsePrinterUrl } from '../src/transport/printer-url.js'

const ticket = {
  id: 'AaIBJ9k1cXubIXk15xwm8w',
  kind: 'fire',
  station: 'kitchen',
  tableLabel: 'P2',
  at: '1795315718453-00000-till-1',
  by: 'till-1',
  items: [
    {
      lineId: 'a',
      name: 'Crème brûlée',
      quantity: 3,
      fromQuantity: 0,
      modifiers: ['Extra cream'],
      note: '',
      seat: 2,
      course: 3,
    },
    {
      lineId: 'b',
      name: 'Soup of the day',
      quantity: 2,
      fromQuantity: 1,
      modifiers: [],
      note: 'hot',
      seat: null,
      course: 1,
    },
  ],
} as unknown as Ticket

test('a ticket renders to ESC/POS that decodes to what the kitchen reads, accents included', () => {
  const bytes = renderTicket({
    ticket,
    quantities: { a: 3, b: 1 },
    reprint: false,
    store: {
      timeZone: 'Europe/Paris',
      devices: { 'till-1': { id: 'till-1', name: 'Anna', role: 'terminal' } },
    },
  })
  const decoded = decodeEscPos(bytes)
  expect(decoded.receipts).toHaveLength(1)
  expect(decoded.rest.trim()).toBe('')
  const text = tidyText(decoded.receipts[0]!)
  expect(text.split('\n')[0]!.trim()).toBe(`#${ticketRef(ticket.id)}`)
  expect(text).toContain('TABLE P2')
  expect(text).toContain('Server: Anna')
  // Courses in order; only the quantities asked for.
  expect(text).toMatch(
    /-- COURSE 1 --\n1x Soup of the day\n {5}! hot\n-- COURSE 3 --\n3x Crème brûlée\n {5}seat 2\n {5}\+ Extra cream/,
  )
  expect(text).not.toContain('REPRINT')
})

test('reprints carry the REPRINT banner, voids the VOID banner, zero-quantity items are left out', () => {
  const text = tidyText(
    decodeEscPos(
      renderTicket({
        ticket: { ...ticket, kind: 'void' },
        quantities: { a: 3 },
        reprint: true,
        store: undefined,
      }),
    ).receipts[0]!,
  )
  expect(text.match(/REPRINT/g)?.length).toBeGreaterThanOrEqual(2)
  expect(text).toContain('*** VOID ***')
  expect(text).toContain('VOID 3x Crème brûlée')
  expect(text).not.toContain('Soup')
})

test('status requests in the stream are found and not printed', () => {
  const d = decodeEscPos(Uint8Array.of(0x10, 0x04, 0x01, 0x41, 0x10, 0x04, 0x04, 0x0a))
  expect(d.statusRequests.map((r) => r.n)).toEqual([1, 4])
  expect(d.rest).toBe('A\n')
})

test('printer URLs', () => {
  expect(parsePrinterUrl('tcp://10.0.0.50')).toEqual({
    host: '10.0.0.50',
    port: 9100,
    probe: true,
    columns: undefined,
  })
  expect(parsePrinterUrl('tcp://kitchen.local:9101?probe=0&columns=48')).toEqual({
    host: 'kitchen.local',
    port: 9101,
    probe: false,
    columns: 48,
  })
  expect(() => parsePrinterUrl('http://x')).toThrow(/tcp:/)
  expect(() => parsePrinterUrl('nonsense')).toThrow(/not a printer URL/)
})

const note = '🍕🔥 no 🥜 — 👨‍👩‍👧 allergy'
const multilingual = {
  ...ticket,
  items: [
    { ...ticket.items[1]!, lineId: 'n', name: 'Pizza Müller', note, course: 1 },
    { ...ticket.items[1]!, lineId: 'g', name: 'Σουβλάκι', note: 'Борщ, ç ß', course: 1 },
    { ...ticket.items[1]!, lineId: 't', name: 'ผัดไทย', note: '麻婆豆腐', course: 1 },
  ],
} as unknown as Ticket

const printed = (charset?: { mapping: string; codepages: string[] }, mapping?: string) =>
  tidyText(
    decodeEscPos(
      renderTicket(
        {
          ticket: multilingual,
          quantities: { n: 1, g: 1, t: 1 },
          reprint: false,
          store: undefined,
        },
        { charset },
      ),
      mapping ? { mapping } : {},
    ).receipts[0]!,
  )

test('an emoji allergy note and non-Latin names print legibly with the default code pages', () => {
  const text = printed()
  expect(text).toContain('1x Pizza Müller')
  // The note is longer than a line: the encoder wraps it, the words are what matters.
  expect(text.replace(/\n */g, ' ')).toContain(
    '! [pizza][fire] no [peanuts] -- [family: man, woman, girl] allergy',
  )
  expect(text).toContain('1x Soyvlaki')
  expect(text).toContain('! Борщ, ç ß')
  expect(text).toContain('1x phadaithy')
  expect(text).toContain('! Ma Po Dou Fu')
  expect(text).not.toMatch(/\?/)
})

test('each run of text selects the code page that has it, as the store configures the printer', () => {
  const charset = { mapping: 'epson', codepages: ['cp437', 'cp858', 'cp737', 'cp866', 'thai11'] }
  const bytes = renderTicket(
    { ticket: multilingual, quantities: { n: 1, g: 1, t: 1 }, reprint: false, store: undefined },
    { charset },
  )
  // ESC t 14 (Greek 737), 17 (Cyrillic 866) and 21 (Thai 11) in Epson's numbering.
  const pages = [...bytes.keys()].filter((i) => bytes[i] === 0x1b && bytes[i + 1] === 0x74)
  expect(new Set(pages.map((i) => bytes[i + 2]))).toEqual(new Set([0, 14, 17, 21]))
  const text = printed(charset)
  expect(text).toContain('1x Σουβλάκι')
  expect(text).toContain('! Борщ, ç ß')
  expect(text).toContain('1x ผัดไทย')
  expect(text).toContain('! Ma Po Dou Fu') // no printer code page has Chinese
})

test('a Star-numbered printer is sent Star numbers; read with the wrong numbering it shows "?"', () => {
  const charset = { mapping: 'star', codepages: ['cp437', 'cp866', 'thai13'] }
  const text = printed(charset, 'star')
  expect(text).toContain('! Борщ, ç ß')
  expect(text).toContain('1x ผัดไทย')
  // Star's Thai page 13 is ESC t 22, a number Epson's table does not have.
  const bytes = renderTicket(
    { ticket: multilingual, quantities: { t: 1 }, reprint: false, store: undefined },
    { charset },
  )
  const wrong = decodeEscPos(bytes)
  expect(wrong.unknownCodePages).toContain(22)
  expect(wrong.receipts[0]).toContain('1x ??????')
})
