import { expect, test } from 'vitest'
import {
  CloseCode,
  FATAL_CLOSE_CODES,
  closeReason,
  isCloseCode,
  isFatalCloseCode,
} from './close-codes.js'

test('every close code has a distinct reason, and application codes are in the 4xxx range', () => {
  const codes = Object.values(CloseCode)
  expect(new Set(codes).size).toBe(codes.length)
  const reasons = codes.map((c) => closeReason[c])
  expect(reasons.every((r) => /^[a-z-]+$/.test(r))).toBe(true)
  expect(new Set(reasons).size).toBe(codes.length)
  for (const code of codes) if (code >= 4000) expect(code).toBeLessThan(5000)
})

test('only protocol codes are close codes, and the fatal ones are among them', () => {
  expect(isCloseCode(CloseCode.revoked)).toBe(true)
  expect(isCloseCode(1006)).toBe(false)
  expect(isCloseCode(4999)).toBe(false)
  for (const code of FATAL_CLOSE_CODES) expect(isCloseCode(code)).toBe(true)
  expect(isFatalCloseCode(CloseCode.revoked)).toBe(true)
  expect(isFatalCloseCode(CloseCode.rateLimited)).toBe(false)
  expect(isFatalCloseCode(CloseCode.moved)).toBe(false)
  expect(isFatalCloseCode(CloseCode.storageFull)).toBe(false)
})
