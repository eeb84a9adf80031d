import { createHash } from 'node:crypto'
import { expect, test } from 'vitest'
import { sha256 } from './sha256.js'

test('sha256 gives the digest node:crypto gives, at every length around the padding edges', () => {
  const seed = Number(process.env['TABSYNC_SEED'] ?? 15)
  let x = seed
  const next = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff
  for (let length = 0; length < 300; length++) {
    const data = Uint8Array.from({ length }, next)
    const want = createHash('sha256').update(data).digest('hex')
    expect(Buffer.from(sha256(data)).toString('hex'), `length ${length}, seed ${seed}`).toBe(want)
  }
})
