// The wire contract between a device (this package), the relay and the print bridge is
// @tabsync/protocol: every side imports it, none keeps a copy. This test fails when a side sends,
// handles or matches a close code or a frame type the protocol does not define, when a copy of
// the close-code table reappears, or when the device's handling of a code disagrees with the
// protocol's list of fatal codes.
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CloseCode,
  FATAL_CLOSE_CODES,
  FrameType,
  SYNC_SUBPROTOCOL,
  clientFrameSchema,
  closeReason,
  serverFrameSchema,
  tokenSubprotocols,
} from '@tabsync/protocol'
import * as relay from '@tabsync/relay'
import { expect, test } from 'vitest'
import { CloseOutcome, closeOutcome } from '../src/network/close-outcome.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aWxsLTEifQ.c2lnbmF0dXJlLXBhcnQ'

async function sourcesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true })
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
  return Promise.all(
    files.map(async (f) => ({ path: relative(root, f), text: await readFile(f, 'utf8') })),
  )
}

/** Every source file of the sides of the wire (not the protocol itself). */
const sides = async () =>
  (
    await Promise.all(
      ['packages/sync/src', 'packages/relay/src', 'packages/printer/src'].map(sourcesUnder),
    )
  ).flat()

/** The files that build, send or read frames (server.ts is left out: it matches repo events,
 *  not frames, by literal type, and names its one frame by the protocol's constant). */
const frameHandlers = async () =>
  (await sides()).filter((f) =>
    /^packages\/(sync\/src\/network|relay\/src\/(network|protocol|upstream\.ts))/.test(f.path),
  )

test('every close code the sides name is a protocol code, and none sends a bare number', async () => {
  const named = Object.keys(CloseCode)
  const problems: string[] = []
  for (const { path, text } of await sides()) {
    for (const m of text.matchAll(/\bCloseCode\.(\w+)/g))
      if (!named.includes(m[1]!)) problems.push(`${path}: CloseCode.${m[1]} is not in the protocol`)
    for (const m of text.matchAll(/\.close\(\s*(\d+)/g))
      problems.push(`${path}: closes with the bare number ${m[1]}`)
    for (const m of text.matchAll(/\bcode\s*[!=]==\s*(\d+)/g))
      problems.push(`${path}: compares a close code with the bare number ${m[1]}`)
    if (/export const CloseCode\b/.test(text)) problems.push(`${path}: a copy of CloseCode`)
  }
  expect(problems).toEqual([])
})

test('every frame type the sides send or match is a protocol frame type', async () => {
  const known: readonly string[] = Object.values(FrameType)
  const problems: string[] = []
  let seen = 0
  for (const { path, text } of await frameHandlers()) {
    for (const m of text.matchAll(/\btype\s*(?::|[!=]==)\s*'([\w-]+)'/g)) {
      seen++
      if (!known.includes(m[1]!)) problems.push(`${path}: frame type '${m[1]}'`)
    }
  }
  expect(problems).toEqual([])
  // The scan must look at real code: the relay alone sends `peer` and `doc-unavailable` and
  // matches `join`, `sync` and `request` by literal.
  expect(seen).toBeGreaterThan(5)
})

test('every protocol frame type has a schema on the side that receives it', () => {
  const schemaTypes = new Set<string>()
  for (const schema of [clientFrameSchema, serverFrameSchema])
    for (const option of schema.options) {
      const type = option.shape.type
      for (const value of 'options' in type ? type.options : [type.value]) schemaTypes.add(value)
    }
  expect([...schemaTypes].sort()).toEqual([...Object.values(FrameType)].sort())
})

test('the device stops retrying exactly on the codes the protocol calls fatal, and follows moved', () => {
  for (const code of Object.values(CloseCode)) {
    const outcome = closeOutcome(code)
    const stops = outcome === CloseOutcome.tokenRejected || outcome === CloseOutcome.refused
    expect({ code, reason: closeReason[code], stops }).toEqual({
      code,
      reason: closeReason[code],
      stops: FATAL_CLOSE_CODES.has(code),
    })
  }
  expect(closeOutcome(CloseCode.moved)).toBe(CloseOutcome.follow)
  // A dropped TCP connection (1006) is not a protocol code: retried.
  expect(closeOutcome(1006)).toBe(CloseOutcome.retry)
})

test('the relay reads the token a device offers, and answers with the wire version only', () => {
  const offered = tokenSubprotocols(JWT)
  const req = { headers: { 'sec-websocket-protocol': offered.join(', ') }, url: '/sync' }
  expect(relay.tokenFromRequest(req, { allowQueryToken: false })).toEqual({
    token: JWT,
    via: 'subprotocol',
  })
  expect(relay.selectSubprotocol(new Set(offered))).toBe(SYNC_SUBPROTOCOL)
})
