import ReceiptPrinterEncoder, {
  type ReceiptPrinterEncoderOptions,
} from '@point-of-sale/receipt-printer-encoder'
import {
  hlcMs,
  type PrinterCharset,
  type StoreData,
  type Ticket,
  type TicketItem,
} from '@tabsync/core'
import { resolveCharset } from './code-pages.js'
import { printableText } from './printable-text.js'

/** How to lay a ticket out for one printer. */
export interface RenderOptions {
  /** Characters per line at normal size: 42 (most 80 mm printers, font A is 48). Default 42. */
  readonly columns?: number
  /** Passed to the encoder: e.g. `{ printerModel: 'epson-tm-t88vi' }` for exact capabilities. */
  readonly encoder?: Omit<
    ReceiptPrinterEncoderOptions,
    'columns' | 'language' | 'newline' | 'codepageMapping' | 'codepageCandidates'
  >
  /**
   * The code pages the printer has (the store document's `printers[id].charset`). Default
   * {@link DEFAULT_CHARSET}. Text no listed page has prints as a readable fallback.
   */
  readonly charset?: PrinterCharset | undefined
}

/** One ticket to print, with what to print of it. */
export interface TicketPrint {
  readonly ticket: Ticket
  /**
   * Units to print per line id: the part of each item not already printed by an earlier ticket.
   * Items with 0 (or absent) are left out. Reprints pass what the first print printed.
   */
  readonly quantities: Readonly<Record<string, number>>
  readonly reprint: boolean
  /** For names and the local time: the store's time zone and device names. */
  readonly store: Pick<StoreData, 'timeZone' | 'devices'> | undefined
  /** When this print happens (epoch ms), shown on reprints. */
  readonly printedAt?: number
}

/** The short reference printed at the bottom of every ticket: the last 8 characters of its id. */
export function ticketRef(ticketId: string): string {
  return ticketId.slice(-8)
}

/**
 * Encodes a kitchen ticket as ESC/POS bytes, laid out to be read at a glance across a kitchen:
 * REPRINT banner when reprinted, VOID banner for voids, table in big letters, station, server,
 * time, then per course the items with big quantities, seat, modifiers and note; a cut at the end.
 */
export function renderTicket(print: TicketPrint, options: RenderOptions = {}): Uint8Array {
  const { ticket, reprint } = print
  const columns = options.columns ?? 42
  const charset = resolveCharset(options.charset)
  const e = new ReceiptPrinterEncoder({
    ...options.encoder,
    language: 'esc-pos',
    columns,
    newline: '\n',
    codepageMapping: charset.mapping as 'epson',
    // Only pages that print every character they are given: nothing else reaches the encoder.
    codepageCandidates: [...charset.codepages],
  })
  const t = (text: string) => printableText(text, charset.codepages)
  const timeZone = print.store?.timeZone ?? 'UTC'
  const server = print.store?.devices[ticket.by]?.name ?? ticket.by
  const isVoid = ticket.kind === 'void'
  e.initialize().codepage('auto')
  // The reference first too: a ticket cut off mid-way can still be matched to its ticket.
  e.align('right')
    .line(`#${ticketRef(ticket.id)}`)
    .align('left')

  if (reprint) banner(e, 'REPRINT')
  if (isVoid) banner(e, '*** VOID ***')
  e.align('center')
    .bold(true)
    .size(2, 2)
    .line(t(`TABLE ${ticket.tableLabel}`))
    .size(1, 1)
  e.line(t(ticket.station.toUpperCase())).bold(false).align('left')
  e.table(
    [
      { width: columns - 12, align: 'left' },
      { width: 12, align: 'right' },
    ],
    [[t(`Server: ${server}`), clockTime(hlcMs(ticket.at), timeZone)]],
  )
  e.rule()

  const items = ticket.items
    .map((item) => ({ item, quantity: print.quantities[item.lineId] ?? 0 }))
    .filter((x) => x.quantity > 0)
  const courses = [...new Set(items.map((x) => x.item.course))].sort((a, b) => a - b)
  for (const course of courses) {
    e.bold(true).line(`-- COURSE ${course} --`).bold(false)
    for (const { item, quantity } of items.filter((x) => x.item.course === course)) {
      itemLines(e, item, quantity, isVoid, t)
    }
  }
  e.rule()
  const footer = reprint
    ? `REPRINT ${clockTime(print.printedAt ?? Date.now(), timeZone)}`
    : clockTime(hlcMs(ticket.at), timeZone, true)
  e.table(
    [
      { width: 12, align: 'left' },
      { width: columns - 12, align: 'right' },
    ],
    [[`#${ticketRef(ticket.id)}`, footer]],
  )
  if (reprint) banner(e, 'REPRINT')
  return e.newline(2).cut().encode()
}

function banner(e: ReceiptPrinterEncoder, text: string): void {
  e.align('center').invert(true).bold(true).size(2, 2).line(` ${text} `)
  e.size(1, 1).bold(false).invert(false).align('left')
}

function itemLines(
  e: ReceiptPrinterEncoder,
  item: TicketItem,
  quantity: number,
  isVoid: boolean,
  t: (text: string) => string,
) {
  // Quantity in double width and height, name in double height: readable from the pass.
  e.bold(true)
    .size(2, 2)
    .text(`${isVoid ? 'VOID ' : ''}${quantity}x`)
  e.size(1, 2)
    .text(` ${t(item.name)}`)
    .size(1, 1)
    .bold(false)
    .newline()
  if (item.seat !== null) e.line(`     seat ${item.seat}`)
  for (const m of item.modifiers) e.line(`     + ${t(m)}`)
  if (item.note.trim() !== '')
    e.bold(true)
      .line(`     ! ${t(item.note.trim())}`)
      .bold(false)
}

const timeFormats = new Map<string, Intl.DateTimeFormat>()

/** HH:MM (or HH:MM:SS) in the store's time zone. */
function clockTime(ms: number, timeZone: string, seconds = false): string {
  const k = `${timeZone}|${seconds}`
  let f = timeFormats.get(k)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    })
    timeFormats.set(k, f)
  }
  return f.format(new Date(ms))
}
