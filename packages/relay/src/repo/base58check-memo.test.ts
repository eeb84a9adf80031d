import { createHash } from 'node:crypto'
import * as A from '@automerge/automerge'
import {
  documentIdToBinary,
  encodeHeads,
  generateAutomergeUrl,
  isValidDocumentId,
  parseAutomergeUrl,
} from '@automerge/automerge-repo'
import { expect, test } from 'vitest'
import {
  BASE58CHECK_MEMO_ENTRIES,
  Base58CheckMemoMode,
  memoizeBase58Check,
} from './base58check-memo.js'

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** base58check written out here from its definition, to compare the memo against. */
function referenceBase58Check(payload: Uint8Array): string {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest()
  const bytes = Buffer.concat([payload, sha(sha(payload)).subarray(0, 4)])
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`)
  let text = ''
  while (n > 0n) {
    text = ALPHABET[Number(n % 58n)] + text
    n /= 58n
  }
  for (const byte of bytes) {
    if (byte !== 0) break
    text = '1' + text
  }
  return text
}

const hexBytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))

test('the memo takes effect on automerge-repo and says so again when called twice', () => {
  expect(memoizeBase58Check()).toBe(Base58CheckMemoMode.memoized)
  expect(memoizeBase58Check()).toBe(Base58CheckMemoMode.memoized)
})

test('heads encode to the same base58check text as the definition, first time and from the memo', () => {
  memoizeBase58Check()
  let doc = A.from<{ n: number }>({ n: 0 })
  for (let i = 1; i <= 5; i++) {
    doc = A.change(doc, (d) => {
      d.n = i
    })
    const heads = A.getHeads(doc)
    const expected = heads.map((h) => referenceBase58Check(hexBytes(h)))
    expect(encodeHeads(heads)).toEqual(expected)
    expect(encodeHeads(heads)).toEqual(expected) // served by the memo
  }
  // A zero-led payload keeps its leading '1's.
  const zeros = '00'.repeat(31) + '01'
  expect(encodeHeads([zeros])).toEqual([referenceBase58Check(hexBytes(zeros))])
})

test('document ids: valid ones decode to fresh copies, a broken checksum is refused every time', () => {
  memoizeBase58Check()
  const { documentId } = parseAutomergeUrl(generateAutomergeUrl())
  const first = documentIdToBinary(documentId) as Uint8Array
  expect(first).toHaveLength(16)
  first.fill(0) // a caller scribbling on its copy changes nothing for the next one
  const second = documentIdToBinary(documentId) as Uint8Array
  expect(referenceBase58Check(second)).toBe(documentId)
  expect(isValidDocumentId(documentId)).toBe(true)
  const last = documentId.at(-1) === '2' ? '3' : '2'
  const broken = documentId.slice(0, -1) + last
  expect(isValidDocumentId(broken)).toBe(false)
  expect(isValidDocumentId(broken)).toBe(false)
})

test('past its bound the memo starts over and still answers right', () => {
  memoizeBase58Check()
  const count = BASE58CHECK_MEMO_ENTRIES + 10
  const hexOf = (i: number) => i.toString(16).padStart(64, '0')
  const encoded = encodeHeads(Array.from({ length: count }, (_, i) => hexOf(i)))
  for (const i of [0, 1, BASE58CHECK_MEMO_ENTRIES - 1, BASE58CHECK_MEMO_ENTRIES, count - 1]) {
    expect(encoded[i]).toBe(referenceBase58Check(hexBytes(hexOf(i))))
    expect(encodeHeads([hexOf(i)])).toEqual([encoded[i]])
  }
})
