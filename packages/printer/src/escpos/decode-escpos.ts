import type { Codepage } from '@point-of-sale/codepage-encoder'
import { codePageNumbers, codePageTable, DEFAULT_CHARSET } from './code-pages.js'

/**
 * Turns an ESC/POS byte stream back into readable text: commands stripped, each byte read in the
 * code page the stream selected (`ESC t n`), one string per cut. For the fake printer, tests and
 * the demo, not for production.
 */
export interface DecodedStream {
  /** Text of every part that ended with a cut command. */
  readonly receipts: string[]
  /** Text after the last cut (a ticket still arriving, or cut off mid-way). */
  readonly rest: string
  /** Status requests (DLE EOT n) found, in order, with their byte offset. */
  readonly statusRequests: { readonly n: number; readonly offset: number }[]
  /** `ESC t n` numbers selected that the printer has no code page for (their text reads "?"). */
  readonly unknownCodePages: readonly number[]
}

/** Options of {@link decodeEscPos}. */
export interface DecodeOptions {
  /** The printer's code-page numbering, as in `PrinterCharset.mapping`. Default 'epson'. */
  readonly mapping?: string
}

const ESC = 0x1b
const GS = 0x1d
const FS = 0x1c
const DLE = 0x10

/** Parameter byte counts of ESC commands (after the command letter). */
const ESC_ARGS: Record<number, number> = {
  0x40: 0, // @ initialize
  0x4d: 1, // M font
  0x74: 1, // t code page
  0x45: 1, // E bold
  0x2d: 1, // - underline
  0x34: 0, // 4 italic on (some printers)
  0x35: 0, // 5 italic off
  0x61: 1, // a align
  0x32: 0, // 2 default line spacing
  0x33: 1, // 3 line spacing
  0x64: 1, // d feed lines
  0x4a: 1, // J feed dots
  0x21: 1, // ! print mode
  0x70: 3, // p pulse
  0x47: 1, // G double strike
  0x7b: 1, // { upside down
  0x52: 1, // R international set
  0x72: 1, // r colour
  0x56: 1, // V rotate
  0x20: 1, // SP right spacing
  0x24: 2, // $ absolute position
  0x2a: -1, // * bit image: handled below
}

/** Parameter byte counts of GS commands. */
const GS_ARGS: Record<number, number> = {
  0x21: 1, // ! size
  0x42: 1, // B invert
  0x68: 1, // h barcode height
  0x77: 1, // w barcode width
  0x48: 1, // H HRI position
  0x66: 1, // f HRI font
  0x4c: 2, // L left margin
  0x57: 2, // W print area width
  0x72: 1, // r status (answered like DLE EOT)
  0x61: 1, // a automatic status back
  0x62: 1, // b smoothing
}

const pagesByNumber = new Map<string, ReadonlyMap<number, Codepage>>()

function pageOf(mapping: string, n: number): Codepage | undefined {
  let pages = pagesByNumber.get(mapping)
  if (!pages) {
    pages = new Map([...codePageNumbers(mapping)].map(([cp, k]) => [k, cp]))
    pagesByNumber.set(mapping, pages)
  }
  return pages.get(n)
}

/** Decodes a complete byte stream. */
export function decodeEscPos(bytes: Uint8Array, options: DecodeOptions = {}): DecodedStream {
  const mapping = options.mapping ?? DEFAULT_CHARSET.mapping
  const receipts: string[] = []
  const statusRequests: { n: number; offset: number }[] = []
  const unknownCodePages: number[] = []
  // A printer starts in its first page (437 on ESC/POS printers) and ESC @ returns to it.
  let page: readonly number[] | undefined = codePageTable('cp437')
  let text = ''
  let i = 0
  const n = bytes.length
  const at = (k: number) => bytes[k] ?? 0
  while (i < n) {
    const b = at(i)
    if (b === ESC) {
      const c = at(i + 1)
      if (c === 0x2a) {
        // ESC * m nL nH data: column image; width nL + 256 nH, 1 or 3 bytes per column
        const m = at(i + 2)
        const width = at(i + 3) + 256 * at(i + 4)
        i += 5 + width * (m >= 32 ? 3 : 1)
        continue
      }
      if (c === 0x74) {
        const cp = pageOf(mapping, at(i + 2))
        page = cp === undefined ? undefined : codePageTable(cp)
        if (cp === undefined) unknownCodePages.push(at(i + 2))
      } else if (c === 0x40) page = codePageTable('cp437')
      i += 2 + Math.max(0, ESC_ARGS[c] ?? 0)
      continue
    }
    if (b === GS) {
      const c = at(i + 1)
      if (c === 0x56) {
        // GS V m [n]: cut. Modes 65, 66, 97, 98, 103, 104 take a feed byte.
        const m = at(i + 2)
        i += [65, 66, 97, 98, 103, 104].includes(m) ? 4 : 3
        receipts.push(text)
        text = ''
        continue
      }
      if (c === 0x28) {
        // GS ( x pL pH data
        i += 5 + at(i + 3) + 256 * at(i + 4)
        continue
      }
      if (c === 0x76 && at(i + 2) === 0x30) {
        // GS v 0 m xL xH yL yH data: raster image
        const w = at(i + 4) + 256 * at(i + 5)
        const h = at(i + 6) + 256 * at(i + 7)
        i += 8 + w * h
        continue
      }
      if (c === 0x6b) {
        // GS k m ...: barcode, either NUL-terminated (m < 65) or with a length byte
        const m = at(i + 2)
        if (m < 65) {
          let j = i + 3
          while (j < n && at(j) !== 0) j++
          i = j + 1
        } else i += 4 + at(i + 3)
        continue
      }
      i += 2 + (GS_ARGS[c] ?? 0)
      continue
    }
    if (b === FS) {
      i += 2
      continue
    }
    if (b === DLE && at(i + 1) === 0x04) {
      statusRequests.push({ n: at(i + 2), offset: i })
      i += 3
      continue
    }
    if (b === 0x0a) text += '\n'
    else if (b >= 0x20 && b !== 0x7f) {
      // What a real printer would print: an unknown page or an empty slot prints no sure glyph.
      const cp = page?.[b] ?? 0
      text += cp >= 0x20 ? String.fromCodePoint(cp) : '?'
    }
    // other control bytes (CR, NUL, ...) print nothing
    i++
  }
  return { receipts, rest: text, statusRequests, unknownCodePages }
}

/** Readable text of a ticket: trailing spaces of lines and blank lines at the ends removed. */
export function tidyText(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '')
}
