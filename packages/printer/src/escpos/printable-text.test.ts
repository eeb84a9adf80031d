import type { Codepage } from '@point-of-sale/codepage-encoder'
import { expect, test } from 'vitest'
import { DEFAULT_CHARSET, resolveCharset } from './code-pages.js'
import { emojiName } from './emoji-names.js'
import { printableText } from './printable-text.js'

const DEFAULT = DEFAULT_CHARSET.codepages as readonly Codepage[]

test('emoji are named from the emoji data set, ZWJ families and skin tones included', () => {
  expect(emojiName('🥜')).toBe('peanuts')
  expect(emojiName('👨‍👩‍👧')).toBe('family: man, woman, girl')
  expect(emojiName('👍🏽')).toBe('thumbs up')
  expect(emojiName('❤️')).toBe('red heart')
  expect(emojiName('a')).toBeUndefined()
})

test('an allergy note with emoji keeps every word readable on a printer with the default pages', () => {
  expect(printableText('🍕🔥 no 🥜 — 👨‍👩‍👧 allergy', DEFAULT)).toBe(
    '[pizza][fire] no [peanuts] -- [family: man, woman, girl] allergy',
  )
})

test('what a listed code page has is kept as written: é ü ß ç, Cyrillic, Central European', () => {
  for (const s of ['Crème brûlée, Müller, Straße, façade', 'Борщ со сметаной', 'Gulyás, Łódź, Ő'])
    expect(printableText(s, DEFAULT)).toBe(s)
})

test('a script no page has is transliterated word by word, not mixed with look-alike symbols', () => {
  // Code page 437 has Σ and α as maths symbols: a half-Greek word would be unreadable.
  expect(printableText('Σουβλάκι', DEFAULT)).toBe('Soyvlaki')
  expect(printableText('麻婆豆腐 ラーメン', DEFAULT)).toBe('Ma Po Dou Fu ramen')
  expect(printableText('ผัดไทย', DEFAULT)).toBe('phadaithy')
  // With the printer's Greek and Thai pages, the same words print as written.
  expect(printableText('Σουβλάκι ผัดไทย', ['cp437', 'cp737', 'thai11'])).toBe('Σουβλάκι ผัดไทย')
})

test('a Latin accent the printer lacks is dropped, never the letter; a symbol nothing names is "?"', () => {
  expect(printableText('Gőzölt', ['cp437'])).toBe('Gozölt')
  expect(printableText('e\u0301', ['cp437'])).toBe('é') // decomposed input is composed first
  expect(printableText('★', DEFAULT)).toBe('?')
  expect(printableText('a\u200db\u0007c', DEFAULT)).toBe('abc') // no control byte reaches the printer
})

test('a charset with unknown pages keeps the known ones; one with none falls back to the default', () => {
  expect(resolveCharset({ mapping: 'epson', codepages: ['cp437', 'cp999', 'cp737'] })).toEqual({
    mapping: 'epson',
    codepages: ['cp437', 'cp737'],
    ignored: ['cp999'],
  })
  // Star numbering has no cp737: it is not used, whatever the store document says.
  expect(resolveCharset({ mapping: 'star', codepages: ['cp737'] }).codepages).toEqual(DEFAULT)
  expect(resolveCharset({ mapping: 'no-such-printer', codepages: ['cp437'] })).toEqual({
    ...resolveCharset(undefined),
    ignored: ['cp437'],
  })
})
