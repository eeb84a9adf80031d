import emojis from 'emojibase-data/en/compact.json' with { type: 'json' }

/** The part of an emojibase entry read here. */
interface EmojiEntry {
  readonly unicode: string
  readonly label: string
  readonly skins?: readonly EmojiEntry[]
}

// Variation selectors (text/emoji presentation) and skin tones change how an emoji looks, not
// what it means: a kitchen ticket names the emoji without them.
const PRESENTATION = /[\uFE0E\uFE0F]|\u{1F3FB}|\u{1F3FC}|\u{1F3FD}|\u{1F3FE}|\u{1F3FF}/gu

let names: ReadonlyMap<string, string> | undefined

function table(): ReadonlyMap<string, string> {
  if (names) return names
  const m = new Map<string, string>()
  // The base entry first: with tones stripped, "thumbs up: dark skin tone" reads "thumbs up".
  for (const e of emojis as unknown as readonly EmojiEntry[]) {
    const key = e.unicode.replace(PRESENTATION, '')
    if (!m.has(key)) m.set(key, e.label)
  }
  names = m
  return m
}

/**
 * The CLDR English name of an emoji (one grapheme: ZWJ sequences, flags and keycaps included),
 * from the emojibase data set, or undefined when the grapheme is not an emoji it knows.
 *
 * @example
 * emojiName('🥜') // 'peanuts'
 * emojiName('👨‍👩‍👧') // 'family: man, woman, girl'
 */
export function emojiName(grapheme: string): string | undefined {
  const key = grapheme.replace(PRESENTATION, '')
  if (key === '') return undefined
  return table().get(key)
}
