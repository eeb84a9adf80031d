import CodepageEncoder, { type Codepage } from '@point-of-sale/codepage-encoder'
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder'
import type { PrinterCharset } from '@tabsync/core'

/**
 * What a printer is assumed to have when the store document says nothing: Epson's numbering and
 * the four code pages that every ESC/POS printer of the last twenty years has at the same numbers
 * (437 US, 858 Western Europe with €, 852 Central Europe, 866 Cyrillic). Greek, Thai, Hebrew, ...
 * are printed as transliterations until the printer's `charset` lists a code page for them.
 */
export const DEFAULT_CHARSET: PrinterCharset = {
  mapping: 'epson',
  codepages: ['cp437', 'cp858', 'cp852', 'cp866'],
}

/** A printer's charset checked against the encoder's tables: only code pages it can select. */
export interface ResolvedCharset {
  readonly mapping: string
  readonly codepages: readonly Codepage[]
  /** Configured code pages left out: unknown names, or absent from the mapping's table. */
  readonly ignored: readonly string[]
}

const numberings = new Map<string, ReadonlyMap<Codepage, number>>()

/**
 * The `ESC t n` number of every code page the mapping has, asked of the encoder itself (it keeps
 * its tables private) so the renderer and the fake printer can never disagree with it.
 */
export function codePageNumbers(mapping: string): ReadonlyMap<Codepage, number> {
  let numbers = numberings.get(mapping)
  if (numbers) return numbers
  const found = new Map<Codepage, number>()
  for (const cp of CodepageEncoder.getEncodings()) {
    let bytes: Uint8Array
    try {
      // A fresh encoder each time: it emits ESC t n for the first page it is asked to use.
      const encoder = new ReceiptPrinterEncoder({
        language: 'esc-pos',
        codepageMapping: mapping as 'epson',
      })
      bytes = encoder.codepage(cp).text('A').encode()
    } catch {
      continue // an unknown mapping, or a page absent from this mapping's table
    }
    const n = selectedPage(bytes)
    // Aliases (iso88591 and iso8859-1) share a number; the first name keeps it.
    if (n !== undefined && !found.has(cp)) found.set(cp, n)
  }
  numbers = found
  numberings.set(mapping, numbers)
  return numbers
}

function selectedPage(bytes: Uint8Array): number | undefined {
  for (let i = bytes.length - 3; i >= 0; i--) {
    if (bytes[i] === 0x1b && bytes[i + 1] === 0x74) return bytes[i + 2]
  }
  return undefined
}

/**
 * The code pages of `charset` (or {@link DEFAULT_CHARSET}) the encoder can select on this
 * printer. Never throws: a store document with a typo still prints, in the pages that are valid,
 * and `ignored` says what was dropped so the bridge can log it.
 */
export function resolveCharset(charset: PrinterCharset | undefined): ResolvedCharset {
  const wanted = charset ?? DEFAULT_CHARSET
  const numbers = codePageNumbers(wanted.mapping)
  const codepages: Codepage[] = []
  const ignored: string[] = []
  for (const name of wanted.codepages) {
    if (numbers.has(name as Codepage) && !codepages.includes(name as Codepage)) {
      codepages.push(name as Codepage)
    } else ignored.push(name)
  }
  if (codepages.length === 0 && charset !== undefined) {
    // Nothing usable configured: the default, rather than a printer that prints nothing right.
    return { ...resolveCharset(undefined), ignored }
  }
  return { mapping: wanted.mapping, codepages, ignored }
}

const tables = new Map<Codepage, readonly number[]>()

/** The Unicode code point each byte of `codepage` prints (0 where the page has nothing). */
export function codePageTable(codepage: Codepage): readonly number[] {
  let t = tables.get(codepage)
  if (!t) {
    t = CodepageEncoder.getCodepoints(codepage, true)
    tables.set(codepage, t)
  }
  return t
}

const charSets = new Map<Codepage, ReadonlySet<number>>()

/** True when `codepage` has a byte for the code point (the printable ones: 0x20 and up). */
export function codePageHas(codepage: Codepage, codePoint: number): boolean {
  let s = charSets.get(codepage)
  if (!s) {
    s = new Set(codePageTable(codepage).filter((c, i) => i >= 0x20 && c >= 0x20 && c !== 0x7f))
    charSets.set(codepage, s)
  }
  return s.has(codePoint)
}
