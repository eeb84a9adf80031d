import { expect, test } from 'vitest'
import { createLogger } from '../log.js'
import { KeptWritesBound } from './kept-writes-bound.js'

/** A bound over a fake set of kept documents, with the log lines it wrote. */
function boundOver(kept: Map<string, readonly string[]>, maxBytes: number) {
  const lines: { level: string; msg: string }[] = []
  const log = createLogger('debug', {
    write: (line: string) => {
      const { level, msg } = JSON.parse(line) as { level: number; msg: string }
      lines.push({ level: level >= 50 ? 'error' : level >= 40 ? 'warn' : 'info', msg })
    },
  })
  const bound = new KeptWritesBound({
    maxBytes,
    keptDocuments: () => kept.keys(),
    storesOf: (doc) => kept.get(doc) ?? [],
    log,
  })
  return { bound, lines }
}

test('below the bound nothing is refused; at it, only the stores with kept writes are, until half of it is stored; each end logged once', () => {
  const kept = new Map<string, readonly string[]>([['doc-a', ['store-a']]])
  const { bound, lines } = boundOver(kept, 1000)
  bound.update(999)
  expect(bound.full).toBe(false)
  expect(bound.refuses(['store-a'])).toBe(false)
  bound.update(1000)
  expect(bound.full).toBe(true)
  expect(bound.refuses(['store-a'])).toBe(true)
  expect(bound.refuses(['store-b'])).toBe(false) // its writes are stored: served as before
  kept.set('doc-b', ['store-b'])
  bound.update(1200) // a write of store-b admitted before the bound failed as well
  expect(bound.refuses(['store-b'])).toBe(true)
  bound.update(1100)
  bound.update(501) // drained, but not to half the bound yet
  expect(bound.refuses(['store-a'])).toBe(true)
  kept.clear()
  bound.update(500)
  expect(bound.full).toBe(false)
  expect(bound.refuses(['store-a'])).toBe(false)
  expect(lines.filter((l) => l.level === 'error')).toHaveLength(1)
  expect(lines.filter((l) => l.msg.startsWith('kept writes stored'))).toHaveLength(1)
})

test('a kept document whose store is unknown makes every store full (never "saved" for what cannot be kept)', () => {
  const kept = new Map<string, readonly string[]>([['doc-x', []]])
  const { bound } = boundOver(kept, 10)
  bound.update(10)
  expect(bound.refuses(['any-store'])).toBe(true)
})
