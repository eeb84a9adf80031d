import type { Codepage } from '@point-of-sale/codepage-encoder'
import { transliterate } from 'transliteration'
import { codePageHas } from './code-pages.js'
import { emojiName } from './emoji-names.js'

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' })

/** Controls, format characters (ZWJ, bidi marks) and the like: nothing a printer should get. */
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u
const COMBINING = /\p{M}/gu
const LATIN = /^\p{Script=Latin}/u

/**
 * Rewrites `text` so that every character is in one of `codepages` (the printer's), keeping what
 * the writer meant readable:
 * - characters a code page has are kept as written (é, ß, Ж, α when the printer has the page);
 * - an emoji becomes its name in brackets: "🥜" → "[peanuts]", "👨‍👩‍👧" → "[family: man,
 *   woman, girl]" (a ticket must say "peanuts", never "??");
 * - an accented letter no page has loses its accent ("ő" → "o"), then any other script is
 *   transliterated to Latin letters ("麻婆豆腐" → "Ma Po Dou Fu", "ผัดไทย" → "phadaithy");
 * - what is left (a symbol nothing names) becomes "?", never a byte the printer misprints.
 *
 * The encoder then picks, per run of characters, the first page that has them.
 */
export function printableText(text: string, codepages: readonly Codepage[]): string {
  const has = (ch: string) => {
    const cp = ch.codePointAt(0)!
    return codepages.some((p) => codePageHas(p, cp))
  }
  const allPrintable = (s: string) => [...s].every(has)
  let out = ''
  let word: string[] = []
  // Words are fixed whole: "Σουβλάκι" on a printer without Greek reads "Souvlaki", not a mix
  // of the few Greek letters code page 437 has (as maths symbols) and Latin ones.
  const flushWord = () => {
    if (word.length > 0) out += printableWord(word, allPrintable)
    word = []
  }
  for (const { segment } of graphemes.segment(text.normalize('NFC'))) {
    const emoji = allPrintable(segment) ? undefined : emojiName(segment)
    if (emoji !== undefined) {
      flushWord()
      out += `[${emoji}]`
      continue
    }
    if (WORD.test(segment)) {
      word.push(segment)
      continue
    }
    flushWord()
    if (segment === '\n') out += segment
    else if (/^\s$/u.test(segment)) out += ' '
    else if (allPrintable(segment)) out += segment
    else if (INVISIBLE.test(segment)) continue
    else out += latin(segment, allPrintable)
  }
  flushWord()
  return out
}

/** A grapheme of a word: letters with their marks, digits. */
const WORD = /^[\p{L}\p{N}][\p{M}\p{L}]*$/u

function printableWord(word: readonly string[], allPrintable: (s: string) => boolean): string {
  const whole = word.join('')
  if (allPrintable(whole)) return whole
  // A Latin word with an accent the printer lacks keeps its other letters: "Gőzölt" → "Gozölt".
  // Only Latin: a Thai or Arabic letter without its marks is another word, not a plainer one.
  const unaccented = word.map((g) =>
    allPrintable(g) || !LATIN.test(g) ? g : g.normalize('NFKD').replace(COMBINING, ''),
  )
  if (unaccented.every((g) => g !== '' && allPrintable(g))) return unaccented.join('')
  return latin(whole, allPrintable)
}

/** Latin letters for any script (CJK as pinyin-like syllables), else "?". */
function latin(text: string, allPrintable: (s: string) => boolean): string {
  const t = transliterate(text).trim()
  const kept = [...t].filter((c) => allPrintable(c)).join('')
  return kept === '' ? '?' : kept
}
